import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateFiles, readSchemaSources, SchemaSourceError, staleFiles, type SchemaSource } from './codegen.js';

const srcDir = path.dirname(fileURLToPath(import.meta.url));
const schemaDir = path.resolve(srcDir, '../../../schemas');

function record(name: string, fields: object[], doc: string | undefined = 'A record.'): SchemaSource {
  return {
    fileName: `${name}.avsc`,
    text: JSON.stringify({ type: 'record', name, namespace: 'sensorfuse', ...(doc ? { doc } : {}), fields }),
  };
}

describe('generated schema types', () => {
  it('are up to date with schemas/*.avsc (run `npm run gen:types` when this fails)', () => {
    const generated = generateFiles(readSchemaSources(schemaDir));
    expect(staleFiles(generated, srcDir)).toEqual([]);
    for (const [rel, content] of generated) {
      expect(fs.readFileSync(path.join(srcDir, rel), 'utf8'), rel).toBe(content);
    }
  });

  it('notices a changed schema: a new field makes the committed types stale', () => {
    const sources = readSchemaSources(schemaDir).map((s) => {
      if (s.fileName !== 'CameraFrame.avsc') return s;
      const json = JSON.parse(s.text) as { fields: object[] };
      json.fields.push({ name: 'exposureUs', type: 'long', default: 0, doc: 'Exposure time.' });
      return { ...s, text: JSON.stringify(json) };
    });
    expect(staleFiles(generateFiles(sources), srcDir)).toEqual(['generated/types.ts', 'generated/schemas.ts']);
  });

  it('maps Avro types to the TypeScript avsc decodes into', () => {
    const files = generateFiles([
      record('Sample', [
        { name: 'timeUs', type: { type: 'long', logicalType: 'timestamp-micros' }, doc: 'Time.' },
        { name: 'data', type: 'bytes', doc: 'Payload.' },
        { name: 'mode', type: { type: 'enum', name: 'Mode', doc: 'Mode.', symbols: ['a', 'b'] }, doc: 'Mode.' },
        { name: 'gain', type: ['null', 'float'], default: null, doc: 'Gain.' },
        { name: 'tags', type: { type: 'map', values: 'string' }, doc: 'Tags.' },
        { name: 'values', type: { type: 'array', items: ['null', 'int'] }, doc: 'Values.' },
      ]),
    ]);
    const types = files.get('generated/types.ts') ?? '';
    expect(types).toContain('export interface Sample {');
    expect(types).toContain('  timeUs: number;');
    expect(types).toContain('  data: Buffer;');
    expect(types).toContain("export type Mode = 'a' | 'b';");
    expect(types).toContain('  gain: number | null;');
    expect(types).toContain('  tags: Record<string, string>;');
    expect(types).toContain('  values: (number | null)[];');
    expect(files.get('index.ts')).toContain('sampleSchema,');
  });

  it('generates a typescriptOptional field as optional and refuses one without a default', () => {
    const files = generateFiles([
      record('Frame', [
        { name: 'seq', type: 'long', doc: 'Seq.' },
        { name: 'extras', type: { type: 'array', items: 'string' }, default: [], typescriptOptional: true, doc: 'Extras.' },
      ]),
    ]);
    expect(files.get('generated/types.ts')).toContain('  extras?: string[];');
    expect(files.get('generated/types.ts')).toContain('  seq: number;');
    expect(() => generateFiles([record('Bad', [{ name: 'x', type: 'int', typescriptOptional: true, doc: 'X.' }])])).toThrow(
      new SchemaSourceError('Bad.avsc: field Bad.x is typescriptOptional without a default'),
    );
  });

  it('rejects a field without a doc, naming it', () => {
    expect(() => generateFiles([record('Bare', [{ name: 'x', type: 'int' }])])).toThrow(
      new SchemaSourceError('Bare.avsc: field sensorfuse.Bare.x has no doc'),
    );
  });

  it('rejects one name defined two different ways in two files', () => {
    const v1 = { type: 'record', name: 'Vec', doc: 'V.', fields: [{ name: 'x', type: 'double', doc: 'X.' }] };
    const v2 = { ...v1, fields: [{ name: 'x', type: 'float', doc: 'X.' }] };
    expect(() =>
      generateFiles([record('A', [{ name: 'v', type: v1, doc: 'V.' }]), record('B', [{ name: 'v', type: v2, doc: 'V.' }])]),
    ).toThrow(/type sensorfuse.Vec differs from its definition in A.avsc/);
  });

  it('requires the file name to match the record name', () => {
    const source = { ...record('Right', [{ name: 'x', type: 'int', doc: 'X.' }]), fileName: 'Wrong.avsc' };
    expect(() => generateFiles([source])).toThrow(/Wrong.avsc: expected a record named sensorfuse.Wrong/);
  });
});
