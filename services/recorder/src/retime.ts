import type avro from 'avsc';
import { HEADER_BYTES } from '@sensorfuse/codec';
import type { SchemaCatalog } from './catalog.js';
import { RecordingFormatError } from './errors.js';

type Shift = (value: unknown, shiftUs: number) => unknown;

interface SchemaNode {
  type?: unknown;
  name?: string;
  namespace?: string;
  logicalType?: string;
  fields?: { name: string; type: unknown }[];
  items?: unknown;
  values?: unknown;
  symbols?: unknown;
}

const identity: Shift = (v) => v;

/**
 * Compiles a function that adds a shift to every `timestamp-micros` long of a record (capture,
 * publish and validity times, nested ones too), walking the writer schema JSON.
 */
function compileShift(schema: unknown): Shift {
  const named = new Map<string, Shift>();
  const placeholders = new Map<string, { fn: Shift }>();

  function walk(node: unknown, namespace: string | undefined): Shift {
    if (typeof node === 'string') {
      const full = node.includes('.') || namespace === undefined ? node : `${namespace}.${node}`;
      const ref = named.get(full) ?? named.get(node);
      if (ref) return ref;
      const ph = placeholders.get(full) ?? placeholders.get(node);
      if (ph) return (v, s) => ph.fn(v, s);
      return identity; // primitive
    }
    if (Array.isArray(node)) {
      const branches = node.map((b) => ({ name: branchName(b, namespace), fn: walk(b, namespace) }));
      return (v, s) => {
        if (v === null || v === undefined) return v;
        if (typeof v === 'object' && !Buffer.isBuffer(v) && !Array.isArray(v)) {
          const keys = Object.keys(v);
          const wrapped = keys.length === 1 ? branches.find((b) => b.name === keys[0] || b.name?.endsWith(`.${keys[0] ?? ''}`)) : undefined;
          if (wrapped && keys[0] !== undefined) {
            return { [keys[0]]: wrapped.fn((v as Record<string, unknown>)[keys[0]], s) };
          }
        }
        const first = branches.find((b) => b.name !== 'null');
        return first ? first.fn(v, s) : v;
      };
    }
    const n = node as SchemaNode;
    const ns = n.namespace ?? (n.name?.includes('.') ? n.name.slice(0, n.name.lastIndexOf('.')) : namespace);
    if (n.type === 'long' && n.logicalType === 'timestamp-micros') return (v, s) => (typeof v === 'number' ? v + s : v);
    if (n.type === 'record' || n.type === 'error') {
      const full = n.name?.includes('.') || ns === undefined ? (n.name ?? '') : `${ns}.${n.name ?? ''}`;
      const ph = { fn: identity };
      placeholders.set(full, ph);
      const fields = (n.fields ?? []).map((f) => ({ name: f.name, fn: walk(f.type, ns) })).filter((f) => f.fn !== identity);
      const fn: Shift =
        fields.length === 0
          ? identity
          : (v, s) => {
              const rec = v as Record<string, unknown>;
              for (const f of fields) rec[f.name] = f.fn(rec[f.name], s);
              return rec;
            };
      ph.fn = fn;
      named.set(full, fn);
      return fn;
    }
    if (n.type === 'array') {
      const item = walk(n.items, ns);
      return item === identity ? identity : (v, s) => (v as unknown[]).map((x) => item(x, s));
    }
    if (n.type === 'map') {
      const val = walk(n.values, ns);
      return val === identity
        ? identity
        : (v, s) => Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, val(x, s)]));
    }
    if (typeof n.type === 'string' || typeof n.type === 'object') {
      if (n.type === 'enum' || n.type === 'fixed') {
        if (n.name) named.set(n.name.includes('.') || ns === undefined ? n.name : `${ns}.${n.name}`, identity);
        return identity;
      }
      return walk(n.type, ns);
    }
    return identity;
  }

  function branchName(b: unknown, namespace: string | undefined): string | undefined {
    if (typeof b === 'string') return b;
    if (b && typeof b === 'object' && !Array.isArray(b)) {
      const n = b as SchemaNode;
      if (n.name) return n.name.includes('.') || (n.namespace ?? namespace) === undefined ? n.name : `${n.namespace ?? namespace ?? ''}.${n.name}`;
      return typeof n.type === 'string' ? n.type : undefined;
    }
    return undefined;
  }

  return walk(schema, undefined);
}

/** Re-times Avro single-object values: decode with the writer schema, shift, re-encode with the same schema. */
export class Retimer {
  readonly #shifts = new Map<string, { type: avro.Type; shift: Shift }>();
  constructor(readonly catalog: SchemaCatalog) {}

  /** The value with every timestamp-micros field moved by `shiftUs`; unchanged when it is not Avro. */
  retime(value: Buffer, schemaJson: string | undefined, shiftUs: number): Buffer {
    if (shiftUs === 0 || schemaJson === undefined) return value;
    let entry = this.catalog.lookupValue(value);
    if (!entry) entry = this.catalog.add(schemaJson);
    let compiled = this.#shifts.get(entry.fingerprint);
    if (!compiled) {
      compiled = { type: entry.type, shift: compileShift(JSON.parse(entry.json)) };
      this.#shifts.set(entry.fingerprint, compiled);
    }
    let decoded: unknown;
    try {
      decoded = compiled.type.fromBuffer(value.subarray(HEADER_BYTES));
    } catch (cause) {
      throw new RecordingFormatError(`recorded ${entry.name} value does not decode with its writer schema: ${(cause as Error).message}`, { cause });
    }
    const body = compiled.type.toBuffer(compiled.shift(decoded, shiftUs));
    return Buffer.concat([value.subarray(0, HEADER_BYTES), body]);
  }
}
