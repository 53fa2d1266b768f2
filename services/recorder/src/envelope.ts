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


/** Splits a recorded message back into key, headers and value; the value is a view, no copy. */
export function decodeEnvelope(data: Uint8Array): RecordedRecord {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return decodeEnvelopeAt(b, 0, b.length);
}

/** decodeEnvelope of the bytes [start, end) of `buffer` (a message inside a chunk), without a view of the whole message. */
/**
 * Per-channel memory of the previous message's key and header bytes: consecutive records of one
 * producer usually repeat them (rig id, content type), and then share one key view and one headers
 * object instead of allocating new ones per record.
 */
export interface EnvelopeCache {
  key: Buffer | null;
  headerBytes: Buffer | undefined;
  headers: Readonly<Record<string, Buffer>>;
}

export function newEnvelopeCache(): EnvelopeCache {
  return { key: null, headerBytes: undefined, headers: {} };
}

export function decodeEnvelopeAt(b: Buffer, start: number, end: number, cache?: EnvelopeCache): RecordedRecord {
  const need = (at: number, n: number, what: string): void => {
    if (at + n > end) {
      throw new RecordingFormatError(`recorded message truncated: expected ${n} bytes of ${what} at offset ${at - start}, found ${Math.max(0, end - at)}`);
    }
  };
  need(start, 7, 'envelope header');
  const version = b[start];
  if (version !== ENVELOPE_VERSION) {
    throw new RecordingFormatError(`recorded message has envelope version ${String(version)}, expected ${ENVELOPE_VERSION}`);
  }
  let o = start + 1;
  const keyLength = b.readUInt32LE(o);
  o += 4;
  let key: Buffer | null = null;
  if (keyLength !== NULL_KEY) {
    need(o, keyLength, 'key');
    const prev = cache?.key;
    key = prev?.length === keyLength && b.compare(prev, 0, keyLength, o, o + keyLength) === 0 ? prev : b.subarray(o, o + keyLength);
    if (cache) cache.key = key;
    o += keyLength;
  }
  const prevHeaders = cache?.headerBytes;
  if (cache && prevHeaders && o + prevHeaders.length <= end && b.compare(prevHeaders, 0, prevHeaders.length, o, o + prevHeaders.length) === 0) {
    return { key, headers: cache.headers, value: b.subarray(o + prevHeaders.length, end) };
  }
  const headerStart = o;
  need(o, 2, 'header count');
  const count = b.readUInt16LE(o);
  o += 2;
  const headers: Record<string, Buffer> = {};
  for (let i = 0; i < count; i++) {
    need(o, 2, 'header name length');
    const nl = b.readUInt16LE(o);
    o += 2;
    need(o, nl + 4, 'header name');
    const name = b.toString('utf8', o, o + nl);
    o += nl;
    const vl = b.readUInt32LE(o);
    o += 4;
    need(o, vl, `header ${name}`);
    headers[name] = b.subarray(o, o + vl);
    o += vl;
  }
  if (cache) {
    cache.headerBytes = b.subarray(headerStart, o);
    cache.headers = headers;
  }
  return { key, headers, value: b.subarray(o, end) };
}
