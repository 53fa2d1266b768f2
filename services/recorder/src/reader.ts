import fs from 'node:fs/promises';
import { McapIndexedReader, type McapTypes } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { AVRO_SCHEMA_ENCODING } from './catalog.js';
import { readChunkBatches } from './chunk-batches.js';
import { decodeEnvelopeAt, newEnvelopeCache, type EnvelopeCache } from './envelope.js';
import { RecordingFormatError, RecordingIoError } from './errors.js';

/** One recorded Bus record, as read back. `value` and `headers` are views into the read chunk. */
export interface RecordedMessage {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
  readonly value: Buffer;
  /** Capture (or validity) time of the record, or the broker time when it has none (µs). */
  readonly logTimeUs: number;
  /** Broker time of the record when it was recorded (µs). */
  readonly publishTimeUs: number;
  /** True on a static channel (calibration). */
  readonly static: boolean;
  /** Writer schema JSON of an Avro channel. */
  readonly schemaJson: string | undefined;
}

export interface ReadOptions {
  /** Inclusive start of the log time range (µs). */
  readonly startTimeUs?: number;
  /** Inclusive end of the log time range (µs). */
  readonly endTimeUs?: number;
  /** Only these topics. */
  readonly topics?: readonly string[];
}

export interface ChannelInfo {
  readonly topic: string;
  readonly messageEncoding: string;
  readonly schemaName: string | undefined;
  readonly static: boolean;
  readonly messages: number;
}

const ENVELOPE_PREFIX = 'sensorfuse-envelope';

class FileReadable implements McapTypes.IReadable {
  constructor(readonly handle: fs.FileHandle, readonly bytes: bigint) {}
  size(): Promise<bigint> {
    return Promise.resolve(this.bytes);
  }
  async read(offset: bigint, length: bigint): Promise<Uint8Array> {
    const out = Buffer.allocUnsafe(Number(length));
    let done = 0;
    while (done < out.length) {
      const { bytesRead } = await this.handle.read(out, done, out.length - done, Number(offset) + done);
      if (bytesRead === 0) throw new RecordingFormatError(`unexpected end of file at ${Number(offset) + done}`);
      done += bytesRead;
    }
    return out;
  }
}

interface OpenFile {
  readonly path: string;
  readonly handle: fs.FileHandle;
  readonly readable: FileReadable;
  readonly reader: McapIndexedReader;
}

type DecompressHandlers = Readonly<Record<string, (buffer: Uint8Array, size: bigint) => Uint8Array>>;

/** What a message needs from its channel, resolved once per channel. */
interface ChannelView {
  readonly topic: string;
  readonly static: boolean;
  readonly schemaJson: string | undefined;
  readonly envelope: EnvelopeCache;
}

/** Messages per yielded batch when several files are merged. */
const MERGE_BATCH = 1024;

/** A set of MCAP files (e.g. the rotated files of one recording) read as one time-ordered stream. */
export class Recording {
  private constructor(
    readonly files: readonly OpenFile[],
    private readonly decompressHandlers: DecompressHandlers,
    /** First and last log time over all files (µs); undefined for an empty recording. */
    readonly startTimeUs: number | undefined,
    readonly endTimeUs: number | undefined,
  ) {}

  static async open(paths: string | readonly string[]): Promise<Recording> {
    const list = typeof paths === 'string' ? [paths] : paths;
    const decompressHandlers = await loadDecompressHandlers();
    const files: OpenFile[] = [];
    let start: number | undefined;
    let end: number | undefined;
    try {
      for (const p of list) {
        let handle: fs.FileHandle;
        try {
          handle = await fs.open(p, 'r');
        } catch (cause) {
          throw new RecordingIoError(`cannot open recording ${p}: ${(cause as Error).message}`, { cause, context: { path: p } });
        }
        try {
          const { size } = await handle.stat();
          const readable = new FileReadable(handle, BigInt(size));
          const reader = await McapIndexedReader.Initialize({ readable, decompressHandlers });
          files.push({ path: p, handle, readable, reader });
        } catch (cause) {
          await handle.close();
          if (cause instanceof RecordingFormatError) throw cause;
          throw new RecordingFormatError(`${p} is not a complete, indexed MCAP file (run recover on it): ${(cause as Error).message}`, { cause, context: { path: p } });
        }
        for (const ci of files[files.length - 1]?.reader.chunkIndexes ?? []) {
          const s = Number(ci.messageStartTime);
          const e = Number(ci.messageEndTime);
          start = start === undefined ? s : Math.min(start, s);
          end = end === undefined ? e : Math.max(end, e);
        }
      }
    } catch (error) {
      for (const f of files) await f.handle.close();
      throw error;
    }
    return new Recording(files, decompressHandlers, start, end);
  }

  /** Channels of every file, merged by topic and schema, with message counts from the statistics. */
  channels(): ChannelInfo[] {
    const byKey = new Map<string, { topic: string; messageEncoding: string; schemaName: string | undefined; static: boolean; messages: number }>();
    for (const f of this.files) {
      for (const ch of f.reader.channelsById.values()) {
        // Derived channels (Foxglove visuals) are not Bus records.
        if (!ch.messageEncoding.startsWith(ENVELOPE_PREFIX)) continue;
        const schemaName = f.reader.schemasById.get(ch.schemaId)?.name;
        const k = `${ch.topic}\u0000${schemaName ?? ''}`;
        const entry = byKey.get(k) ?? { topic: ch.topic, messageEncoding: ch.messageEncoding, schemaName, static: ch.metadata.get('static') === 'true', messages: 0 };
        entry.messages += Number(f.reader.statistics?.channelMessageCounts.get(ch.id) ?? 0n);
        byKey.set(k, entry);
      }
    }
    return [...byKey.values()];
  }

  topics(): string[] {
    return [...new Set(this.channels().map((c) => c.topic))].sort();
  }

  staticTopics(): string[] {
    return [...new Set(this.channels().filter((c) => c.static).map((c) => c.topic))].sort();
  }

  /** The batches of one file: log-time order, one array per chunk read. */
  async *#readFile(file: OpenFile, options: ReadOptions): AsyncGenerator<RecordedMessage[]> {
    const views = new Map<number, ChannelView>();
    const topics = options.topics ? new Set(options.topics) : undefined;
    for (const ch of file.reader.channelsById.values()) {
      // Derived channels (Foxglove visuals) are not Bus records.
      if (!ch.messageEncoding.startsWith(ENVELOPE_PREFIX)) continue;
      if (topics && !topics.has(ch.topic)) continue;
      const s = file.reader.schemasById.get(ch.schemaId);
      views.set(ch.id, {
        topic: ch.topic,
        static: ch.metadata.get('static') === 'true',
        schemaJson: s && s.encoding === AVRO_SCHEMA_ENCODING ? Buffer.from(s.data).toString('utf8') : undefined,
        envelope: newEnvelopeCache(),
      });
    }
    if (views.size === 0) return;
    const batches = readChunkBatches(file.reader, file.readable, this.decompressHandlers, {
      channels: new Set(views.keys()),
      startTimeUs: options.startTimeUs ?? -Infinity,
      endTimeUs: options.endTimeUs ?? Infinity,
    }, file.path);
    for await (const batch of batches) {
      const out: RecordedMessage[] = new Array<RecordedMessage>(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const m = batch[i];
        if (!m) continue;
        const view = views.get(m.channelId);
        if (!view) throw new RecordingFormatError(`${file.path}: message on unknown channel ${m.channelId}`);
        const rec = decodeEnvelopeAt(m.chunk, m.start, m.end, view.envelope);
        out[i] = {
          topic: view.topic,
          key: rec.key,
          headers: rec.headers,
          value: rec.value,
          logTimeUs: m.logTimeUs,
          publishTimeUs: m.publishTimeUs,
          static: view.static,
          schemaJson: view.schemaJson,
        };
      }
      yield out;
    }
  }

  /**
   * Messages in log time order across all files (ties keep file order), in batches: one await per
   * chunk instead of one per message. The arrays are the caller's to keep.
   */
  batches(options: ReadOptions = {}): AsyncGenerator<RecordedMessage[]> {
    const only = this.files.length === 1 ? this.files[0] : undefined;
    return only ? this.#readFile(only, options) : this.#merge(options);
  }

  /** Messages in log time order across all files (ties keep file order). */
  async *messages(options: ReadOptions = {}): AsyncGenerator<RecordedMessage> {
    for await (const batch of this.batches(options)) yield* batch;
  }

  async *#merge(options: ReadOptions): AsyncGenerator<RecordedMessage[]> {
    const its = this.files.map((f) => this.#readFile(f, options));
    const heads: { batch: RecordedMessage[]; at: number }[] = [];
    const refill = async (i: number): Promise<void> => {
      for (;;) {
        const r = await its[i]?.next();
        if (!r || r.done === true) { heads[i] = { batch: [], at: 0 }; return; }
        if (r.value.length > 0) { heads[i] = { batch: r.value, at: 0 }; return; }
      }
    };
    await Promise.all(its.map((_, i) => refill(i)));
    let out: RecordedMessage[] = [];
    for (;;) {
      let best = -1;
      let bestTime = Infinity;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        const m = h?.batch[h.at];
        if (m && (best < 0 || m.logTimeUs < bestTime)) {
          best = i;
          bestTime = m.logTimeUs;
        }
      }
      if (best < 0) break;
      const h = heads[best];
      if (!h) break;
      const m = h.batch[h.at++];
      if (m) out.push(m);
      if (out.length >= MERGE_BATCH) {
        yield out;
        out = [];
      }
      if (h.at >= h.batch.length) await refill(best);
    }
    if (out.length > 0) yield out;
  }

  async close(): Promise<void> {
    for (const f of this.files) await f.handle.close();
  }
}
