import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { crc64Avro, parsingCanonicalForm, schemaFingerprint } from './fingerprint.js';

/**
 * Known answers from the Apache Avro project, share/test/data/schema-tests.txt (cases 000-033):
 * input schema, its Parsing Canonical Form, and the CRC-64-AVRO fingerprint as a signed Java long
 * (cross-checked there by Java's direct implementation). Cases without a fingerprint line share
 * the canonical form, hence the fingerprint, of the case before them.
 */
const VECTORS: readonly (readonly [input: string, canonical: string, fingerprint: string])[] = [
  ['"null"', '"null"', '7195948357588979594'],
  ['{"type":"null"}', '"null"', '7195948357588979594'],
  ['"boolean"', '"boolean"', '-6970731678124411036'],
  ['{"type":"boolean"}', '"boolean"', '-6970731678124411036'],
  ['"int"', '"int"', '8247732601305521295'],
  ['{"type":"int"}', '"int"', '8247732601305521295'],
  ['"long"', '"long"', '-3434872931120570953'],
  ['{"type":"long"}', '"long"', '-3434872931120570953'],
  ['"float"', '"float"', '5583340709985441680'],
  ['{"type":"float"}', '"float"', '5583340709985441680'],
  ['"double"', '"double"', '-8181574048448539266'],
  ['{"type":"double"}', '"double"', '-8181574048448539266'],
  ['"bytes"', '"bytes"', '5746618253357095269'],
  ['{"type":"bytes"}', '"bytes"', '5746618253357095269'],
  ['"string"', '"string"', '-8142146995180207161'],
  ['{"type":"string"}', '"string"', '-8142146995180207161'],
  ['[  ]', '[]', '-1241056759729112623'],
  ['[ "int"  ]', '["int"]', '-5232228896498058493'],
  ['[ "int" , {"type":"boolean"} ]', '["int","boolean"]', '5392556393470105090'],
  ['{"fields":[], "type":"record", "name":"foo"}', '{"name":"foo","type":"record","fields":[]}', '-4824392279771201922'],
  [
    '{"fields":[], "type":"record", "name":"foo", "namespace":"x.y"}',
    '{"name":"x.y.foo","type":"record","fields":[]}',
    '5916914534497305771',
  ],
  [
    '{"fields":[], "type":"record", "name":"a.b.foo", "namespace":"x.y"}',
    '{"name":"a.b.foo","type":"record","fields":[]}',
    '-4616218487480524110',
  ],
  [
    '{"fields":[], "type":"record", "name":"foo", "doc":"Useful info"}',
    '{"name":"foo","type":"record","fields":[]}',
    '-4824392279771201922',
  ],
  [
    '{"fields":[], "type":"record", "name":"foo", "aliases":["foo","bar"]}',
    '{"name":"foo","type":"record","fields":[]}',
    '-4824392279771201922',
  ],
  [
    '{"fields":[], "type":"record", "name":"foo", "doc":"foo", "aliases":["foo","bar"]}',
    '{"name":"foo","type":"record","fields":[]}',
    '-4824392279771201922',
  ],
  [
    '{"fields":[{"type":{"type":"boolean"}, "name":"f1"}], "type":"record", "name":"foo"}',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"}]}',
    '7843277075252814651',
  ],
  [
    // case 026 has "default":"true" (a string for a boolean), which avsc rightly rejects; the
    // default does not take part in the canonical form, so a valid boolean default is used.
    '{ "fields":[{"type":"boolean", "aliases":[], "name":"f1", "default":true},{"order":"descending","name":"f2","doc":"Hello","type":"int"}], "type":"record", "name":"foo"}',
    '{"name":"foo","type":"record","fields":[{"name":"f1","type":"boolean"},{"name":"f2","type":"int"}]}',
    '-4860222112080293046',
  ],
  ['{"type":"enum", "name":"foo", "symbols":["A1"]}', '{"name":"foo","type":"enum","symbols":["A1"]}', '-6342190197741309591'],
  [
    '{"namespace":"x.y.z", "type":"enum", "name":"foo", "doc":"foo bar", "symbols":["A1", "A2"]}',
    '{"name":"x.y.z.foo","type":"enum","symbols":["A1","A2"]}',
    '-4448647247586288245',
  ],
  ['{"name":"foo","type":"fixed","size":15}', '{"name":"foo","type":"fixed","size":15}', '1756455273707447556'],
  [
    '{"namespace":"x.y.z", "type":"fixed", "name":"foo", "doc":"foo bar", "size":32}',
    '{"name":"x.y.z.foo","type":"fixed","size":32}',
    '-3064184465700546786',
  ],
  ['{ "items":{"type":"null"}, "type":"array"}', '{"type":"array","items":"null"}', '-589620603366471059'],
  ['{ "values":"string", "type":"map"}', '{"type":"map","values":"string"}', '-8732877298790414990'],
  [
    '{"name":"PigValue","type":"record", "fields":[{"name":"value", "type":["null", "int", "long", "PigValue"]}]}',
    '{"name":"PigValue","type":"record","fields":[{"name":"value","type":["null","int","long","PigValue"]}]}',
    '-1759257747318642341',
  ],
];

/** The spec's signed decimal as the 16 hex digits of the unsigned 64-bit value. */
function javaLongToHex(decimal: string): string {
  return BigInt.asUintN(64, BigInt(decimal)).toString(16).padStart(16, '0');
}

describe('CRC-64-AVRO schema fingerprints', () => {
  it.each(VECTORS)('%s: the fingerprint of its canonical form matches the Avro project', (_input, canonical, fingerprint) => {
    expect(crc64Avro(Buffer.from(canonical, 'utf8'))).toBe(BigInt.asUintN(64, BigInt(fingerprint)));
  });

  // avsc refuses the empty union ("[  ]", case 016), which no record can use anyway.
  const parsable = VECTORS.filter(([input]) => input.trim() !== '[  ]');
  it.each(parsable)('%s: avsc yields the canonical form, so the schema fingerprint matches', (input, canonical, fingerprint) => {
    const type = avro.Type.forSchema(JSON.parse(input) as Parameters<typeof avro.Type.forSchema>[0]);
    expect(parsingCanonicalForm(type)).toBe(canonical);
    expect(schemaFingerprint(type)).toBe(javaLongToHex(fingerprint));
  });

  it('hashes raw bytes: the empty input is the Rabin polynomial itself', () => {
    // The Avro specification's reference code starts from EMPTY = 0xc15d213aa4d7a795.
    expect(crc64Avro(new Uint8Array(0))).toBe(0xc15d213aa4d7a795n);
  });

  it('ignores logical types, docs and defaults, as the Parsing Canonical Form requires', () => {
    const micros = avro.Type.forSchema({ type: 'long', logicalType: 'timestamp-micros' });
    expect(schemaFingerprint(micros)).toBe(javaLongToHex('-3434872931120570953'));
  });
});
