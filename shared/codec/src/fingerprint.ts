import avro from 'avsc';

/**
 * CRC-64-AVRO, the 64-bit Rabin fingerprint the Avro specification defines for schema
 * fingerprints ("Schema Fingerprints"), over the UTF-8 bytes of the Parsing Canonical Form.
 * avsc's own `fingerprint()` is MD5 of its schema JSON, which is not what single-object
 * encoding puts on the wire, hence this implementation.
 */
const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

const TABLE: readonly bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) {
      fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK);
    }
    table.push(fp);
  }
  return table;
})();

/** The 64-bit Rabin fingerprint as an unsigned bigint. Runs once per schema, not per record. */
export function crc64Avro(bytes: Uint8Array): bigint {
  let fp = EMPTY;
  for (const byte of bytes) {
    fp = (fp >> 8n) ^ (TABLE[Number((fp ^ BigInt(byte)) & 0xffn)] ?? 0n);
  }
  return fp;
}

/**
 * Parsing Canonical Form of a schema: avsc's `schema()` without attributes strips doc, aliases,
 * defaults, order and logical types, fully qualifies names and emits keys in canonical order; the
 * codec's spec checks it against the Avro project's canonical forms.
 */
export function parsingCanonicalForm(type: avro.Type): string {
  return JSON.stringify(type.schema());
}

/** Fingerprint as 16 lowercase hex digits of the unsigned 64-bit value (most significant first). */
export function fingerprintToHex(fp: bigint): string {
  return fp.toString(16).padStart(16, '0');
}

/** Fingerprint of a schema, as 16 hex digits. */
export function schemaFingerprint(type: avro.Type): string {
  return fingerprintToHex(crc64Avro(Buffer.from(parsingCanonicalForm(type), 'utf8')));
}

/** The 8 wire bytes of a fingerprint: little-endian, as single-object encoding requires. */
export function fingerprintToWire(hex: string): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(BigInt(`0x${hex}`));
  return out;
}
