/**
 * Byte-level re-keying of an Avro single-object record whose first three fields are
 * `rigId: string, sensorId: string, seq: long` (every raw Sensorfuse schema): a new rig id and a
 * sequence offset, the rest of the record copied as is. One copy instead of a decode and an encode,
 * so the benchmark's replay source stays cheap next to the pipeline it feeds.
 */

/** Single-object header: 2-byte marker + 8-byte fingerprint. */
const HEADER = 10;

interface Varint {
  readonly value: number;
  readonly end: number;
}

/** Reads an Avro zigzag varint long at `at`. Exact up to 2^53. */
export function readLong(bytes: Uint8Array, at: number): Varint {
  let result = 0;
  let scale = 1;
  let i = at;
  for (;;) {
    const b = bytes[i];
    if (b === undefined) throw new RangeError(`truncated varint at ${String(at)}`);
    i++;
    result += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) break;
    scale *= 128;
    if (i - at > 9) throw new RangeError(`varint longer than 9 bytes at ${String(at)}`);
  }
  // Zigzag: even → n/2, odd → −(n+1)/2.
  return { value: result % 2 === 0 ? result / 2 : -(result + 1) / 2, end: i };
}

export function writeLong(value: number): Uint8Array {
  let n = value >= 0 ? value * 2 : -value * 2 - 1;
  const out: number[] = [];
  while (n >= 128) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Uint8Array.from(out);
}

export interface Rekeyed {
  readonly value: Buffer;
  readonly sensorId: string;
  /** The sequence number as recorded (before the offset). */
  readonly seq: number;
}

/** The record with `rigId` replaced and `seqOffset` added to `seq`; sensorId and seq as recorded are returned too. */
export function rekey(record: Uint8Array, rigId: string, seqOffset: number): Rekeyed {
  const rigLen = readLong(record, HEADER);
  const sensorAt = rigLen.end + rigLen.value;
  const sensorLen = readLong(record, sensorAt);
  const sensorEnd = sensorLen.end + sensorLen.value;
  const sensorId = Buffer.from(record.buffer, record.byteOffset + sensorLen.end, sensorLen.value).toString('utf8');
  const seq = readLong(record, sensorEnd);
  const rig = Buffer.from(rigId, 'utf8');
  const parts = [
    record.subarray(0, HEADER),
    writeLong(rig.length),
    rig,
    record.subarray(sensorAt, sensorEnd),
    writeLong(seq.value + seqOffset),
    record.subarray(seq.end),
  ];
  return { value: Buffer.concat(parts), sensorId, seq: seq.value };
}
