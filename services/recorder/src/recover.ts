import fs from 'node:fs';
import { McapStreamReader, type McapTypes } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { RecordingIoError } from './errors.js';
import { McapFile } from './mcap-file.js';
import { loadZstd } from './zstd.js';

export interface RecoverOptions {
  /** The damaged (or complete) file. */
  readonly input: string;
  /** Where the complete, indexed file goes (default `<input without .mcap>.recovered.mcap`). */
  readonly output?: string;
  /** Chunk size of the rewritten file (default 1 MiB). */
  readonly chunkBytes?: number;
}

export interface RecoverStats {
  readonly output: string;
  readonly messages: number;
  readonly channels: number;
  /** Bytes at the end of the input that held no complete record (the torn chunk). */
  readonly bytesDropped: number;
  /** Why reading stopped: the end of a complete file, the end of the data, or a corrupt record. */
  readonly stoppedBy: 'footer' | 'end-of-data' | 'corrupt-record';
  readonly reason: string | undefined;
}

/**
 * Turns an MCAP file cut short (crash, SIGKILL, full disk) back into a complete, indexed one:
 * streams the records in file order and rewrites every schema, channel, metadata and message that
 * arrived whole. Messages of the chunk that was being written at the crash are lost (the chunk is
 * compressed as a unit); nothing before it is.
 */
export async function recover(options: RecoverOptions): Promise<RecoverStats> {
  const output = options.output ?? `${options.input.replace(/\.mcap$/, '')}.recovered.mcap`;
  const decompressHandlers = await loadDecompressHandlers();
  const zstd = await loadZstd();
  let inFd: number;
  let outFd: number;
  try {
    inFd = fs.openSync(options.input, 'r');
  } catch (cause) {
    throw new RecordingIoError(`cannot open ${options.input}: ${(cause as Error).message}`, { cause, context: { path: options.input } });
  }
  try {
    outFd = fs.openSync(output, 'w');
  } catch (cause) {
    fs.closeSync(inFd);
    throw new RecordingIoError(`cannot create ${output}: ${(cause as Error).message}`, { cause, context: { path: output } });
  }
  let writer: McapFile | undefined;
  const open = (header: McapTypes.Header): McapFile =>
    new McapFile(outFd, {
      chunkBytes: options.chunkBytes ?? 1024 * 1024,
      compress: (data) => ({ compression: 'zstd', compressedData: zstd.compress(data, 1) }),
      header,
    });
  const out = (): McapFile => (writer ??= open({ profile: '', library: 'sensorfuse-recorder (recovered)' }));
  const reader = new McapStreamReader({ decompressHandlers, validateCrcs: true });
  const schemaIds = new Map<number, number>();
  const channelIds = new Map<number, number>();
  let messages = 0;
  const state: { stoppedBy: RecoverStats['stoppedBy'] } = { stoppedBy: 'end-of-data' };
  let reason: string | undefined;
  const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
  let consumed = 0;
  let total = 0;

  const handle = (r: McapTypes.TypedMcapRecord): boolean => {
    switch (r.type) {
      case 'Header':
        writer ??= open({ profile: r.profile, library: r.library });
        return true;
      case 'Schema':
        if (!schemaIds.has(r.id)) schemaIds.set(r.id, out().registerSchema({ name: r.name, encoding: r.encoding, data: r.data }));
        return true;
      case 'Channel':
        if (!channelIds.has(r.id)) {
          channelIds.set(r.id, out().registerChannel({
            topic: r.topic,
            messageEncoding: r.messageEncoding,
            metadata: r.metadata,
            schemaId: r.schemaId === 0 ? 0 : (schemaIds.get(r.schemaId) ?? 0),
          }));
        }
        return true;
      case 'Message': {
        const id = channelIds.get(r.channelId);
        if (id === undefined) return true;
        out().addMessage({ channelId: id, sequence: r.sequence, logTime: r.logTime, publishTime: r.publishTime, data: r.data });
        messages++;
        return true;
      }
      case 'Metadata':
        out().addMetadata({ name: r.name, metadata: r.metadata });
        return true;
      case 'Attachment':
        // attachments are not written by the recorder; a foreign file's attachments are dropped
        return true;
      case 'DataEnd':
      case 'Footer':
        state.stoppedBy = 'footer';
        return false;
      default:
        return true;
    }
  };

  try {
    let pos = 0;
    outer: for (;;) {
      const n = fs.readSync(inFd, buf, 0, buf.length, pos);
      if (n === 0) break;
      pos += n;
      total += n;
      reader.append(buf.subarray(0, n));
      for (;;) {
        let rec: McapTypes.TypedMcapRecord | undefined;
        try {
          rec = reader.nextRecord();
        } catch (error) {
          state.stoppedBy = 'corrupt-record';
          reason = (error as Error).message;
          break outer;
        }
        if (!rec) break;
        if (!handle(rec)) break outer;
      }
      consumed = total - reader.bytesRemaining();
    }
    consumed = state.stoppedBy === 'end-of-data' ? total - reader.bytesRemaining() : consumed;
    out().end();
  } finally {
    fs.closeSync(inFd);
    fs.closeSync(outFd);
  }
  return { output, messages, channels: channelIds.size, bytesDropped: state.stoppedBy === 'footer' ? 0 : total - consumed, stoppedBy: state.stoppedBy, reason };
}
