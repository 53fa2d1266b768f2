import zlib from 'node:zlib';
import { crc32 as jsCrc32 } from '@foxglove/crc';
import type { McapIndexedReader, McapTypes } from '@mcap/core';
import { RecordingFormatError } from './errors.js';

/** One MCAP message record as parsed from a chunk: its data is a view into the decompressed chunk. */
export interface ChunkMessage {
  readonly channelId: number;
  readonly logTimeUs: number;
  readonly publishTimeUs: number;
  /** The decompressed chunk and the message data's [start, end) in it (no view per message). */
  readonly chunk: Buffer;
  readonly start: number;
  readonly end: number;
  /** Offset of its chunk in the file, then its position inside the chunk: the tie order. */
  readonly chunkOffset: number;
  readonly index: number;
}

type Crc32 = (data: Uint8Array) => number;
const nativeCrc32 = (zlib as unknown as { crc32?: Crc32 }).crc32;
const crc32: Crc32 = nativeCrc32 ?? jsCrc32;
const OPCODE_CHUNK = 0x06;
const OPCODE_MESSAGE = 0x05;
const TWO_32 = 4294967296;

const u64 = (b: Buffer, o: number): number => b.readUInt32LE(o) + b.readUInt32LE(o + 4) * TWO_32;
const byOrder = (a: ChunkMessage, b: ChunkMessage): number => a.logTimeUs - b.logTimeUs || a.chunkOffset - b.chunkOffset || a.index - b.index;

export interface ChunkBatchOptions {
  readonly channels: ReadonlySet<number> | undefined;
  readonly startTimeUs: number;
  readonly endTimeUs: number;
}

/**
 * The messages of an indexed MCAP file in log-time order (ties in file order, like
 * McapIndexedReader.readMessages), one array per chunk read instead of one await per message.
 * Chunks are visited in order of their first log time; a message is released once no chunk still
 * to be read can hold an earlier one. Chunk CRCs are checked (native CRC-32).
 */
export async function* readChunkBatches(
  reader: McapIndexedReader,
  readable: McapTypes.IReadable,
  decompress: Readonly<Record<string, (buffer: Uint8Array, size: bigint) => Uint8Array>>,
  options: ChunkBatchOptions,
  path: string,
): AsyncGenerator<ChunkMessage[]> {
  const chunks = reader.chunkIndexes
    .filter((ci) => Number(ci.messageStartTime) <= options.endTimeUs && Number(ci.messageEndTime) >= options.startTimeUs)
    .filter((ci) => options.channels === undefined || [...ci.messageIndexOffsets.keys()].some((id) => options.channels?.has(id)))
    .sort((a, b) => Number(a.messageStartTime - b.messageStartTime) || Number(a.chunkStartOffset - b.chunkStartOffset));
  let pending: ChunkMessage[] = [];
  for (let c = 0; c < chunks.length; c++) {
    const ci = chunks[c];
    if (!ci) continue;
    const chunkOffset = Number(ci.chunkStartOffset);
    const raw = await readable.read(ci.chunkStartOffset, ci.chunkLength);
    const rec = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    if (rec.length < 9 || rec[0] !== OPCODE_CHUNK) throw new RecordingFormatError(`${path}: no chunk record at offset ${chunkOffset}`, { context: { path } });
    let o = 9 + 16; // opcode, record length, message start and end time
    const uncompressedSize = u64(rec, o);
    o += 8;
    const uncompressedCrc = rec.readUInt32LE(o);
    o += 4;
    const compressionLength = rec.readUInt32LE(o);
    o += 4;
    const compression = rec.toString('latin1', o, o + compressionLength);
    o += compressionLength;
    const recordsLength = u64(rec, o);
    o += 8;
    let records: Buffer = rec.subarray(o, o + recordsLength);
    if (compression !== '' && records.length > 0) {
      const handler = decompress[compression];
      if (!handler) throw new RecordingFormatError(`${path}: unsupported chunk compression ${compression}`, { context: { path } });
      const out = handler(records, BigInt(uncompressedSize));
      records = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    }
    if (uncompressedCrc !== 0 && crc32(records) !== uncompressedCrc) {
      throw new RecordingFormatError(`${path}: chunk at offset ${chunkOffset} fails its CRC`, { context: { path } });
    }
    let index = 0;
    let sorted = true;
    let last = -Infinity;
    const fresh: ChunkMessage[] = [];
    for (let p = 0; p + 9 <= records.length;) {
      const opcode = records[p];
      const length = u64(records, p + 1);
      const body = p + 9;
      p = body + length;
      if (p > records.length) throw new RecordingFormatError(`${path}: record overruns its chunk at offset ${chunkOffset}`, { context: { path } });
      if (opcode !== OPCODE_MESSAGE) continue;
      const channelId = records.readUInt16LE(body);
      if (options.channels !== undefined && !options.channels.has(channelId)) continue;
      const logTimeUs = u64(records, body + 6);
      if (logTimeUs < options.startTimeUs || logTimeUs > options.endTimeUs) continue;
      if (logTimeUs < last) sorted = false;
      last = logTimeUs;
      fresh.push({ channelId, logTimeUs, publishTimeUs: u64(records, body + 14), chunk: records, start: body + 22, end: p, chunkOffset, index: index++ });
    }
    if (!sorted) fresh.sort(byOrder);
    // merge with what earlier chunks left pending (both sorted)
    if (pending.length > 0) {
      const merged: ChunkMessage[] = [];
      let i = 0;
      let j = 0;
      while (i < pending.length && j < fresh.length) {
        const a = pending[i] as ChunkMessage;
        const b = fresh[j] as ChunkMessage;
        if (byOrder(a, b) <= 0) { merged.push(a); i++; } else { merged.push(b); j++; }
      }
      for (; i < pending.length; i++) merged.push(pending[i] as ChunkMessage);
      for (; j < fresh.length; j++) merged.push(fresh[j] as ChunkMessage);
      pending = merged;
    } else {
      pending = fresh;
    }
    // release what no later chunk can precede
    const next = chunks[c + 1];
    const bound = next ? Number(next.messageStartTime) : Infinity;
    let cut = 0;
    while (cut < pending.length && (pending[cut]?.logTimeUs ?? Infinity) < bound) cut++;
    if (cut === pending.length) {
      const out = pending;
      pending = [];
      if (out.length > 0) yield out;
    } else if (cut > 0) {
      const out = pending.slice(0, cut);
      pending = pending.slice(cut);
      yield out;
    }
  }
  if (pending.length > 0) yield pending;
}
