import { RecordingFormatError } from './errors.js';

/**
 * The bytes of one recorded Bus record inside an MCAP message: the original key and headers kept byte
 * for byte in front of the untouched value (an Avro single-object record on Avro channels).
 *
 *   u8  version (1)
 *   u32 key length, 0xFFFFFFFF for a null key; key bytes
 *   u16 header count; per header: u16 name length, UTF-8 name, u32 value length, value bytes
 *   value bytes, to the end of the message
 *
 * All integers little-endian. MCAP messages carry no per-message metadata, and headers such as
 * `traceparent` differ per record, so they cannot live in channel metadata.
 */
export interface RecordedRecord {
  readonly key: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
  readonly value: Buffer;
}

export const ENVELOPE_VERSION = 1;
const NULL_KEY = 0xffffffff;

export function encodeEnvelope(record: RecordedRecord): Buffer {
  const names = Object.keys(record.headers);
  const nameBytes = names.map((n) => Buffer.from(n, 'utf8'));
  let size = 1 + 4 + (record.key?.length ?? 0) + 2;
  for (let i = 0; i < names.length; i++) size += 2 + (nameBytes[i]?.length ?? 0) + 4 + (record.headers[names[i] ?? '']?.length ?? 0);
  const head = Buffer.allocUnsafe(size);
  let o = head.writeUInt8(ENVELOPE_VERSION, 0);
  if (record.key === null) o = head.writeUInt32LE(NULL_KEY, o);
  else {
    o = head.writeUInt32LE(record.key.length, o);
    o += record.key.copy(head, o);
  }
  o = head.writeUInt16LE(names.length, o);
  for (let i = 0; i < names.length; i++) {
    const n = nameBytes[i] ?? Buffer.alloc(0);
    const v = record.headers[names[i] ?? ''] ?? Buffer.alloc(0);
    o = head.writeUInt16LE(n.length, o);
    o += n.copy(head, o);
    o = head.writeUInt32LE(v.length, o);
    o += v.copy(head, o);
  }
  return Buffer.concat([head, record.value], size + record.value.length);
}

function need(bytes: Uint8Array, at: number, n: number, what: string): void {
  if (at + n > bytes.length) {
    throw new RecordingFormatError(`recorded message truncated: expected ${n} bytes of ${what} at offset ${at}, found ${Math.max(0, bytes.length - at)}`);
  }
}

/** Splits a recorded message back into key, headers and value; the value is a view, no copy. */
export function decodeEnvelope(data: Uint8Array): RecordedRecord {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  need(b, 0, 7, 'envelope header');
  const version = b.readUInt8(0);
  if (version !== ENVELOPE_VERSION) {
    throw new RecordingFormatError(`recorded message has envelope version ${version}, expected ${ENVELOPE_VERSION}`);
  }
  let o = 1;
  const keyLength = b.readUInt32LE(o);
  o += 4;
  let key: Buffer | null = null;
  if (keyLength !== NULL_KEY) {
    need(b, o, keyLength, 'key');
    key = b.subarray(o, o + keyLength);
    o += keyLength;
  }
  need(b, o, 2, 'header count');
  const count = b.readUInt16LE(o);
  o += 2;
  const headers: Record<string, Buffer> = {};
  for (let i = 0; i < count; i++) {
    need(b, o, 2, 'header name length');
    const nl = b.readUInt16LE(o);
    o += 2;
    need(b, o, nl + 4, 'header name');
    const name = b.toString('utf8', o, o + nl);
    o += nl;
    const vl = b.readUInt32LE(o);
    o += 4;
    need(b, o, vl, `header ${name}`);
    headers[name] = b.subarray(o, o + vl);
    o += vl;
  }
  return { key, headers, value: b.subarray(o) };
}
