import type { Bus } from '@sensorfuse/transport';
import { SchemaCatalog } from '../catalog.js';
import { DatasetFormatError } from '../errors.js';
import { RecordingWriter, type RecordingWriterOptions, type WriterStats } from '../writer.js';

/** One record an importer produces, ready for a recording or the Bus. */
export interface ImportedRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, Buffer>>;
  readonly captureTimeUs: number;
}

/** Topic of ground-truth annotations (JSON) written by importers. */
export const TRUTH_BOXES_TOPIC = 'truth.boxes';

export function contentType(schemaName: string): Record<string, Buffer> {
  return { 'content-type': Buffer.from(`application/vnd.sensorfuse.${schemaName.toLowerCase()}`) };
}

export const JSON_HEADERS: Readonly<Record<string, Buffer>> = { 'content-type': Buffer.from('application/json') };

/** Writes imported records to an MCAP recording (capture time as log and publish time). */
export async function writeImported(
  records: Iterable<ImportedRecord> | AsyncIterable<ImportedRecord>,
  options: Omit<RecordingWriterOptions, 'catalog'>,
): Promise<WriterStats> {
  const writer = new RecordingWriter({ ...options, catalog: new SchemaCatalog() });
  for await (const r of records) {
    await writer.add({ topic: r.topic, key: Buffer.from(r.key), headers: r.headers, value: r.value, timestampUs: r.captureTimeUs });
  }
  return writer.close();
}

/** Publishes imported records straight to the Bus, in order, one publish per record. */
export async function publishImported(bus: Bus, records: Iterable<ImportedRecord> | AsyncIterable<ImportedRecord>, topicPrefix = ''): Promise<number> {
  let n = 0;
  for await (const r of records) {
    await bus.publish(`${topicPrefix}${r.topic}`, [{ key: r.key, value: r.value, headers: r.headers }]);
    n++;
  }
  return n;
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(bytes: Uint8Array, file: string): { width: number; height: number } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 24 || b.readUInt32BE(0) !== 0x89504e47 || b.toString('latin1', 12, 16) !== 'IHDR') {
    throw new DatasetFormatError(`${file}: expected a PNG file with an IHDR chunk`, { context: { file } });
  }
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** Width and height from a JPEG's start-of-frame marker. */
export function jpegSize(bytes: Uint8Array, file: string): { width: number; height: number } {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) throw new DatasetFormatError(`${file}: expected a JPEG file (FF D8)`, { context: { file } });
  let o = 2;
  while (o + 9 < b.length) {
    if (b[o] !== 0xff) throw new DatasetFormatError(`${file}: corrupt JPEG marker at ${o}`, { context: { file } });
    const marker = b[o + 1] ?? 0;
    const length = b.readUInt16BE(o + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: b.readUInt16BE(o + 5), width: b.readUInt16BE(o + 7) };
    }
    o += 2 + length;
  }
  throw new DatasetFormatError(`${file}: no start-of-frame marker found`, { context: { file } });
}

/** 4×4 row-major matrix product a·b. */
export function mul4(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) {
    let s = 0;
    for (let k = 0; k < 4; k++) s += (a[r * 4 + k] ?? 0) * (b[k * 4 + c] ?? 0);
    out[r * 4 + c] = s;
  }
  return out;
}

/** Inverse of a rigid 4×4 transform [R t; 0 1] → [Rᵀ −Rᵀt; 0 1]. */
export function invertRigid(m: readonly number[]): number[] {
  const g = (i: number): number => m[i] ?? 0;
  const out = [g(0), g(4), g(8), 0, g(1), g(5), g(9), 0, g(2), g(6), g(10), 0, 0, 0, 0, 1];
  for (let r = 0; r < 3; r++) out[r * 4 + 3] = -((out[r * 4] ?? 0) * g(3) + (out[r * 4 + 1] ?? 0) * g(7) + (out[r * 4 + 2] ?? 0) * g(11));
  return out;
}
