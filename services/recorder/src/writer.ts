import fs from 'node:fs';
import path from 'node:path';
import { AVRO_MESSAGE_ENCODING, AVRO_SCHEMA_ENCODING, RAW_MESSAGE_ENCODING, type SchemaCatalog } from './catalog.js';
import { encodeEnvelope } from './envelope.js';
import { RecordingIoError } from './errors.js';
import { FoxgloveConverter } from './foxglove.js';
import { McapFile, type ChunkCompressor } from './mcap-file.js';
import { loadZstd } from './zstd.js';

/** Topics whose records are static (calibration): replay re-publishes them at start, seek and loop. */
export const DEFAULT_STATIC_TOPICS: readonly string[] = ['calibration.rig'];

export type ChunkCompression = 'zstd' | 'none';

export interface RecordingWriterOptions {
  /**
   * Output file. Without rotation this exact path; with rotation `<stem>_0000.mcap`,
   * `<stem>_0001.mcap`… next to it.
   */
  readonly path: string;
  /** Uncompressed chunk size that closes a chunk (default 1 MiB): the most a crash can lose. */
  readonly chunkBytes?: number;
  readonly compression?: ChunkCompression;
  /** zstd level (default 1: on a 2 MB LIDAR sweep level 3 costs ~1.5× the time for ~15 % smaller chunks). */
  readonly zstdLevel?: number;
  /**
   * Close a chunk once its first message is this old (ms, default 1000), so a crash loses at most
   * about this much of a slow topic, not a whole chunkBytes. Checked on every message and by
   * `flushIfStale()` (record() calls it on a timer).
   */
  readonly maxChunkAgeMs?: number;
  /** Start a new file when the current one reaches this many bytes. */
  readonly splitBytes?: number;
  /** Start a new file when the log time span of the current one reaches this (µs). */
  readonly splitDurationUs?: number;
  /** Topics marked static in their channel metadata (default DEFAULT_STATIC_TOPICS). */
  readonly staticTopics?: readonly string[];
  /** Free-form metadata stored in each file as the MCAP metadata record `sensorfuse.recording`. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly catalog: SchemaCatalog;
  /**
   * 'visual': also write point clouds, images, transforms, camera calibrations and fused tracks on
   * `/foxglove/…` channels with Foxglove's own schemas (JSON), so the file opens with a 3D view in
   * Foxglove or Lichtblick. Replay ignores these channels. Default 'off'.
   */
  readonly foxglove?: 'off' | 'visual';
}

/** One Bus record as the recorder receives it. */
export interface RecordInput {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
  readonly value: Buffer;
  /** Broker time of the record (µs); the MCAP publish time, and the log time when the value has none. */
  readonly timestampUs: number;
}

export interface WriterStats {
  readonly files: readonly string[];
  readonly messages: number;
  readonly bytesIn: number;
}

/** `captureTimeUs` of a small JSON value (ground truth), so it shares the capture-time axis. */
function jsonCaptureTime(input: Pick<RecordInput, 'value' | 'headers'>): number | undefined {
  if (input.value.length > 65_536 || input.headers['content-type']?.toString('utf8') !== 'application/json') return undefined;
  try {
    const parsed = JSON.parse(input.value.toString('utf8')) as { captureTimeUs?: unknown };
    return typeof parsed.captureTimeUs === 'number' && Number.isSafeInteger(parsed.captureTimeUs) ? parsed.captureTimeUs : undefined;
  } catch {
    return undefined;
  }
}

interface OpenFile {
  readonly path: string;
  readonly fd: number;
  readonly writer: McapFile;
  readonly channels: Map<string, number>;
  readonly schemas: Map<string, number>;
  readonly sequences: Map<number, number>;
  firstLogTimeUs: number | undefined;
}

/**
 * Writes Bus records to chunked, indexed MCAP files: one channel per topic and writer schema, the
 * Avro writer schema as the channel schema, key and headers kept in a per-message envelope.
 * Calls must not overlap (await each); `close()` writes the index and summary.
 */
export class RecordingWriter {
  readonly #options: RecordingWriterOptions;
  readonly #static: ReadonlySet<string>;
  readonly #files: string[] = [];
  #current: OpenFile | undefined;
  #messages = 0;
  #bytesIn = 0;
  /** Messages already inside finished chunks (on disk) when the last write happened. */
  #flushedMessages = 0;
  #compress: ChunkCompressor | undefined;
  readonly #foxglove: FoxgloveConverter | undefined;
  /** performance.now() when the open chunk got its first message. */
  #chunkOpenedMs: number | undefined;

  constructor(options: RecordingWriterOptions) {
    this.#options = options;
    this.#static = new Set(options.staticTopics ?? DEFAULT_STATIC_TOPICS);
    this.#foxglove = options.foxglove === 'visual' ? new FoxgloveConverter(options.catalog) : undefined;
  }

  /** Messages known to be in complete chunks on disk (they survive a crash). */
  get flushedMessages(): number {
    return this.#flushedMessages;
  }

  get stats(): WriterStats {
    return { files: [...this.#files], messages: this.#messages, bytesIn: this.#bytesIn };
  }

  #rotating(): boolean {
    return this.#options.splitBytes !== undefined || this.#options.splitDurationUs !== undefined;
  }

  #nextPath(): string {
    if (!this.#rotating()) return this.#options.path;
    const p = this.#options.path;
    const ext = path.extname(p) || '.mcap';
    const stem = p.slice(0, p.length - path.extname(p).length);
    return `${stem}_${String(this.#files.length).padStart(4, '0')}${ext}`;
  }

  async #open(): Promise<OpenFile> {
    if ((this.#options.compression ?? 'zstd') === 'zstd' && !this.#compress) {
      const zstd = await loadZstd();
      const level = this.#options.zstdLevel ?? 1;
      this.#compress = (data) => ({ compression: 'zstd', compressedData: zstd.compress(data, level) });
    }
    const file = this.#nextPath();
    let fd: number;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fd = fs.openSync(file, 'w');
    } catch (cause) {
      throw new RecordingIoError(`cannot create recording ${file}: ${(cause as Error).message}`, { cause, context: { path: file } });
    }
    const writer = new McapFile(fd, {
      chunkBytes: this.#options.chunkBytes ?? 1024 * 1024,
      compress: this.#compress,
      header: { profile: '', library: 'sensorfuse-recorder' },
    });
    if (this.#options.metadata) {
      writer.addMetadata({ name: 'sensorfuse.recording', metadata: new Map(Object.entries(this.#options.metadata)) });
    }
    this.#files.push(file);
    const open: OpenFile = { path: file, fd, writer, channels: new Map(), schemas: new Map(), sequences: new Map(), firstLogTimeUs: undefined };
    this.#current = open;
    return open;
  }

  #closeCurrent(): void {
    const cur = this.#current;
    if (!cur) return;
    this.#current = undefined;
    cur.writer.end();
    fs.closeSync(cur.fd);
    this.#flushedMessages = this.#messages;
    this.#chunkOpenedMs = undefined;
  }

  #channelFor(file: OpenFile, topic: string, value: Buffer, contentType: string | undefined): number {
    const entry = this.#options.catalog.lookupValue(value);
    const channelKey = `${topic}\u0000${entry?.fingerprint ?? 'raw'}`;
    const known = file.channels.get(channelKey);
    if (known !== undefined) return known;
    let schemaId = 0;
    if (entry) {
      schemaId = file.schemas.get(entry.fingerprint) ?? 0;
      if (schemaId === 0) {
        schemaId = file.writer.registerSchema({ name: entry.name, encoding: AVRO_SCHEMA_ENCODING, data: Buffer.from(entry.json, 'utf8') });
        file.schemas.set(entry.fingerprint, schemaId);
      }
    }
    const metadata = new Map<string, string>([['static', String(this.#static.has(topic))]]);
    if (entry) metadata.set('fingerprint', entry.fingerprint);
    if (contentType !== undefined) metadata.set('contentType', contentType);
    const id = file.writer.registerChannel({
      topic,
      schemaId,
      messageEncoding: entry ? AVRO_MESSAGE_ENCODING : RAW_MESSAGE_ENCODING,
      metadata,
    });
    file.channels.set(channelKey, id);
    return id;
  }

  /** The log time used for a record: its capture (or validity) time when it has one, else the broker time. */
  logTimeOf(input: Pick<RecordInput, 'value' | 'timestampUs' | 'headers'>): number {
    const entry = this.#options.catalog.lookupValue(input.value);
    if (entry) return entry.timeOf(input.value) ?? input.timestampUs;
    return jsonCaptureTime(input) ?? input.timestampUs;
  }

  async add(input: RecordInput): Promise<void> {
    const logTimeUs = this.logTimeOf(input);
    let file = this.#current ?? (await this.#open());
    const split =
      (this.#options.splitBytes !== undefined && Number(file.writer.position) >= this.#options.splitBytes) ||
      (this.#options.splitDurationUs !== undefined && file.firstLogTimeUs !== undefined && logTimeUs - file.firstLogTimeUs >= this.#options.splitDurationUs);
    if (split && file.sequences.size > 0) {
      this.#closeCurrent();
      file = await this.#open();
    }
    file.firstLogTimeUs ??= logTimeUs;
    const channelId = this.#channelFor(file, input.topic, input.value, input.headers['content-type']?.toString('utf8'));
    const sequence = (file.sequences.get(channelId) ?? 0) + 1;
    file.sequences.set(channelId, sequence);
    file.writer.addMessage({
      channelId,
      sequence: sequence >>> 0,
      logTime: BigInt(logTimeUs),
      publishTime: BigInt(input.timestampUs),
      data: encodeEnvelope(input),
    });
    this.#messages++;
    this.#bytesIn += input.value.length;
    if (this.#foxglove) this.#addFoxglove(file, input.value, logTimeUs);
    this.#chunkOpenedMs ??= performance.now();
    this.flushIfStale();
    this.#noteFlush(file);
  }

  #addFoxglove(file: OpenFile, value: Buffer, logTimeUs: number): void {
    const entry = this.#options.catalog.lookupValue(value);
    if (!entry || !this.#foxglove) return;
    for (const m of this.#foxglove.convert(entry.name, value)) {
      const key = `foxglove\u0000${m.topic}\u0000${m.schemaName}`;
      let channelId = file.channels.get(key);
      if (channelId === undefined) {
        let schemaId = file.schemas.get(m.schemaName);
        if (schemaId === undefined) {
          schemaId = file.writer.registerSchema({ name: m.schemaName, encoding: 'jsonschema', data: Buffer.from(JSON.stringify(m.schema)) });
          file.schemas.set(m.schemaName, schemaId);
        }
        channelId = file.writer.registerChannel({ topic: m.topic, schemaId, messageEncoding: 'json', metadata: new Map([['foxglove', 'true']]) });
        file.channels.set(key, channelId);
      }
      const sequence = (file.sequences.get(channelId) ?? 0) + 1;
      file.sequences.set(channelId, sequence);
      file.writer.addMessage({ channelId, sequence, logTime: BigInt(logTimeUs), publishTime: BigInt(logTimeUs), data: Buffer.from(JSON.stringify(m.message)) });
    }
  }

  #noteFlush(file: OpenFile): void {
    if (file.writer.pendingMessages === 0) {
      this.#flushedMessages = this.#messages;
      this.#chunkOpenedMs = undefined;
    }
  }

  /** Writes the open chunk if its first message is older than maxChunkAgeMs. */
  flushIfStale(nowMs = performance.now()): void {
    const file = this.#current;
    if (!file || this.#chunkOpenedMs === undefined) return;
    if (nowMs - this.#chunkOpenedMs >= (this.#options.maxChunkAgeMs ?? 1000)) {
      file.writer.flushChunk();
      this.#noteFlush(file);
    }
  }

  /** Writes the last chunk, the indexes and the summary of the current file. */
  close(): Promise<WriterStats> {
    this.#closeCurrent();
    return Promise.resolve(this.stats);
  }
}
