import { randomUUID } from 'node:crypto';
import { SchemaRegistry, createCodec, type Codec } from '@sensorfuse/codec';
import { rigCalibrationSchema, type RigCalibration } from '@sensorfuse/schemas';
import { PipelinedPublisher, REPLAY_EPOCH_HEADER, type Bus, type OutgoingRecord } from '@sensorfuse/transport';
import { nowUs } from '@sensorfuse/time';
import { SchemaCatalog } from './catalog.js';
import { RecorderUsageError } from './errors.js';
import { Pacer, systemClock, type MonotonicClock, type PacingMode } from './pacer.js';
import { raiseThreadPriority, raiseThreadToRealtime, type ThreadPriorityChange } from './priority.js';
import { ReadAheadReader } from './read-ahead.js';
import { Recording, type RecordedMessage } from './reader.js';
import { Retimer } from './retime.js';

export interface ReplayProgress {
  readonly loop: number;
  readonly logTimeUs: number;
  /** 0..1 of the selected range in the current loop. */
  readonly fraction: number;
  readonly published: number;
}

/**
 * Header put on every replayed record when epochs are marked: `<replay id>:<epoch>`, the epoch counting
 * the loops and seeks of one replay (0 first). Defined once in @sensorfuse/transport; the workers copy
 * it to their outputs and the fusion worker resets a rig's aligner, tracker and checkpoint horizon when a
 * newer epoch arrives, so a loop is fused again from scratch instead of being skipped as already seen.
 */
export { REPLAY_EPOCH_HEADER };

/** Where a replay hands the calibration it re-publishes (a fusion worker's CalibrationRegistry). */
export interface CalibrationSink {
  publish(calibration: RigCalibration): Promise<unknown>;
}

export interface ReplayOptions {
  readonly bus: Bus;
  /** The recording: one file or the rotated files of one recording. */
  readonly files: string | readonly string[];
  /** Speed factor (1 = original timing) or 'max': as fast as possible in log time order (deterministic mode). */
  readonly rate?: number | 'max';
  /** Start this far after the first data (non-static) message (µs). */
  readonly startOffsetUs?: number;
  /** Play this much log time from the start (µs). */
  readonly durationUs?: number;
  /** Absolute log time range (µs), intersected with offset/duration. */
  readonly startTimeUs?: number;
  readonly endTimeUs?: number;
  readonly includeTopics?: readonly string[];
  readonly excludeTopics?: readonly string[];
  /** How many times to play the range (default 1), or 'forever' (until stop()). */
  readonly loop?: number | 'forever';
  /**
   * 'original' keeps the recorded times; 'now' shifts capture/publish/validity times of every topic by
   * one offset so the first played message has the current wall time (recomputed on every loop and
   * seek, so times keep increasing).
   */
  readonly retime?: 'original' | 'now';
  /** Publish to `<topicPrefix><topic>` (a test namespace); default none. */
  readonly topicPrefix?: string;
  /** Falling further behind than this re-anchors the schedule instead of bursting (default 20 ms). */
  readonly maxLagUs?: number;
  /**
   * How paced replays wait for a due time (the system clock; ignored with `clock`): 'auto' (default at
   * rates up to 2: 'precise' — timer until `pacingMarginUs` before, then a busy wait; costs CPU — that
   * falls back to timers for a few seconds whenever the CPU is contended), 'precise' (always) or
   * 'low-cpu' (default above rate 2: timers only, ~no CPU). Figures in the README.
   */
  readonly pacing?: PacingMode;
  /** Precise and auto pacing: margin before the due time spent busy-waiting (µs, default 3 000). */
  readonly pacingMarginUs?: number;
  readonly clock?: MonotonicClock;
  /** Wall clock for re-timing (default @sensorfuse/time nowUs). */
  readonly wallClockUs?: () => number;
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Extra Avro writer schemas (re-timing needs the writer schema; it is also in the file). */
  readonly schemas?: readonly object[];
  /**
   * 'header': every record carries REPLAY_EPOCH_HEADER (loops and seeks start a new epoch); 'none':
   * headers exactly as recorded. Default 'header' when `loop` is not 1, else 'none' (a single play stays
   * byte-identical; pass 'header' to make seeks reset the fusion worker too).
   */
  readonly epochs?: 'header' | 'none';
  /** Replay id in the epoch header (default a random UUID: a new replay always resets the rigs it feeds). */
  readonly replayId?: string;
  /**
   * Also hand every calibration record published (at start, at each seek and loop: the newest one at or
   * before the position; and those inside the range) to this sink before the data that follows it, e.g.
   * `fusionWorker.calibration`, so fusion has the rig's calibration without a pre-filled registry.
   * Each (rig, version, validFromUs) is handed over once per replay.
   */
  readonly calibration?: CalibrationSink;
  /** Topic of the RigCalibration records (default `calibration.rig`). */
  readonly calibrationTopic?: string;
  /**
   * Where paced replays read and decompress chunks: 'thread' (default for paced rates: a reader thread
   * works up to 8 chunks ahead, so decompressing a 2 MB sweep never delays a due message) or 'inline'
   * (on the pacing thread, one chunk ahead). Deterministic mode ('max') always reads inline.
   */
  readonly reader?: 'thread' | 'inline';
  /**
   * Paced replays: nice value (−20 highest … 19) for the pacing thread while it plays, e.g. −10 — what
   * rosbag2 users do with `chrt`/`nice`: less preemption by other work, sooner wake-ups. Applied after
   * the reader thread is started (it keeps its priority) and restored at the end. Raising priority needs
   * root or CAP_SYS_NICE; when refused the replay goes on unchanged and says so once through `log`.
   * Default: unchanged.
   */
  readonly schedulingPriority?: number;
  /**
   * Paced replays: run the pacing thread under SCHED_FIFO at this real-time priority (1–99, e.g. 10) while
   * it plays — `chrt -f` for the pacing thread alone (via util-linux `chrt` on its thread id). This, not nice,
   * is what keeps other processes from delaying due messages on a busy machine (README, Performance). Needs
   * Linux and root or CAP_SYS_NICE; when refused the replay goes on unchanged and says so through `log`.
   * Default: none.
   */
  readonly realtimePriority?: number;
  /** Where the replay's one-line notices go (default stderr). */
  readonly log?: (line: string) => void;
}

export interface ReplayStats {
  readonly published: number;
  readonly publishedByTopic: Readonly<Record<string, number>>;
  /** Static records published at start, seek and loop (outside the timeline). */
  readonly staticPublished: number;
  readonly loops: number;
  readonly seeks: number;
  readonly reanchors: number;
  /** Auto pacing: how many times the busy wait was suspended because the CPU was contended. */
  readonly pacingBackOffs: number;
  /** Calibration records handed to `options.calibration`. */
  readonly calibrationsHandedOver: number;
  /** Send-time error against the schedule (µs), paced modes only. */
  readonly lagP50Us: number;
  readonly lagP99Us: number;
  readonly lagMaxUs: number;
  readonly bytes: number;
  /** Whether `schedulingPriority` was in force (undefined when none was asked for or not paced). */
  readonly schedulingPriorityApplied: boolean | undefined;
  /** Whether `realtimePriority` was in force (undefined when none was asked for or not paced). */
  readonly realtimeApplied: boolean | undefined;
}

export interface ReplayController {
  readonly done: Promise<ReplayStats>;
  /** Jump to this offset after the first data message (µs); static records are published again. */
  seek(offsetUs: number): void;
  stop(): void;
}

/** Paced replays up to this rate wait precisely ('auto') by default; faster ones use timers only ('low-cpu'). */
export const PRECISE_UP_TO_RATE = 2;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * (sorted.length - 1)))] ?? 0;
}

/**
 * Publishes a recording to the Bus with its original timing (or faster, or as fast as possible),
 * with key, value and headers byte for byte as recorded unless re-timed.
 */
export function replay(options: ReplayOptions): ReplayController {
  const control: { stopped: boolean; pendingSeekUs: number | undefined } = { stopped: false, pendingSeekUs: undefined };
  const isStopped = (): boolean => control.stopped;
  const run = async (): Promise<ReplayStats> => {
    const rec = await Recording.open(options.files);
    try {
      return await play(rec);
    } finally {
      await rec.close();
    }
  };

  const play = async (rec: Recording): Promise<ReplayStats> => {
    const exclude = new Set(options.excludeTopics ?? []);
    const topics = rec.topics().filter((t) => (options.includeTopics ? options.includeTopics.includes(t) : true) && !exclude.has(t));
    if (topics.length === 0) throw new RecorderUsageError('no recorded topic is selected for replay', { context: { recorded: rec.topics().join(',') } });
    const staticTopics = new Set(rec.staticTopics().filter((t) => topics.includes(t)));
    const dataTopics = topics.filter((t) => !staticTopics.has(t));
    const staticMessages: RecordedMessage[] = [];
    if (staticTopics.size > 0) for await (const m of rec.messages({ topics: [...staticTopics] })) staticMessages.push(m);
    let dataStartUs: number | undefined;
    if (dataTopics.length > 0) for await (const m of rec.messages({ topics: dataTopics })) { dataStartUs = m.logTimeUs; break; }
    const dataStart = dataStartUs ?? staticMessages[0]?.logTimeUs ?? rec.startTimeUs ?? 0;
    const rangeStart = Math.max(dataStart + (options.startOffsetUs ?? 0), options.startTimeUs ?? -Infinity);
    const rangeEnd = Math.min(
      options.durationUs !== undefined ? rangeStart + options.durationUs : Infinity,
      options.endTimeUs ?? Infinity,
      rec.endTimeUs ?? Infinity,
    );
    const paced = options.rate !== 'max';
    const threaded = paced && (options.reader ?? 'thread') === 'thread';
    const reader = threaded ? await ReadAheadReader.open(typeof options.files === 'string' ? [options.files] : options.files) : undefined;
    // after the reader thread exists: a thread created later would inherit the raised priority
    let priority: ThreadPriorityChange | undefined;
    let realtime: ReturnType<typeof raiseThreadToRealtime> | undefined;
    try {
      priority = paced && options.schedulingPriority !== undefined ? raiseThreadPriority(options.schedulingPriority, options.log) : undefined;
      realtime = paced && options.realtimePriority !== undefined ? raiseThreadToRealtime(options.realtimePriority, options.log) : undefined;
      const stats = await playRange(rec, reader, { topics, staticMessages, dataStart, rangeStart, rangeEnd, paced });
      return { ...stats, schedulingPriorityApplied: priority?.applied, realtimeApplied: realtime?.applied };
    } finally {
      realtime?.restore();
      priority?.restore();
      await reader?.close();
    }
  };

  const playRange = async (
    rec: Recording,
    reader: ReadAheadReader | undefined,
    range: { topics: string[]; staticMessages: RecordedMessage[]; dataStart: number; rangeStart: number; rangeEnd: number; paced: boolean },
  ): Promise<Omit<ReplayStats, 'schedulingPriorityApplied' | 'realtimeApplied'>> => {
    const { topics, staticMessages, dataStart, rangeStart, rangeEnd, paced } = range;
    const prefix = options.topicPrefix ?? '';
    const rate = typeof options.rate === 'number' ? options.rate : 1;
    const system = options.clock === undefined ? systemClock({ pacing: options.pacing ?? (rate <= PRECISE_UP_TO_RATE ? 'auto' : 'low-cpu'), marginUs: options.pacingMarginUs }) : undefined;
    const clock = options.clock ?? system ?? systemClock();
    const pacer = paced ? new Pacer({ rate, maxLagUs: options.maxLagUs ?? 20_000 }, clock) : undefined;
    const retimer = new Retimer(new SchemaCatalog(options.schemas));
    const wall = options.wallClockUs ?? nowUs;
    const loops = options.loop === 'forever' ? Infinity : (options.loop ?? 1);
    const byTopic: Record<string, number> = {};
    const lags: number[] = [];
    let published = 0;
    let staticPublished = 0;
    let bytes = 0;
    let seeks = 0;
    let loop = 0;
    let shiftUs = 0;
    const markEpochs = (options.epochs ?? (loops === 1 ? 'none' : 'header')) === 'header';
    const replayId = options.replayId ?? randomUUID();
    let epoch = 0;
    let epochHeaders: Readonly<Record<string, Buffer>> = {};
    const headersOf = (m: RecordedMessage): Readonly<Record<string, Buffer>> => (markEpochs ? { ...m.headers, ...epochHeaders } : m.headers);

    // Without re-timing the recorded message is the outgoing record (key, value, headers as recorded).
    const toRecord = (m: RecordedMessage): OutgoingRecord => {
      if (shiftUs === 0) return markEpochs ? { key: m.key, value: m.value, headers: headersOf(m) } : m;
      return { key: m.key, value: retimer.retime(m.value, m.schemaJson, shiftUs), headers: headersOf(m) };
    };
    const calibrationTopic = options.calibrationTopic ?? 'calibration.rig';
    const calibrationRegistry = new SchemaRegistry();
    let calibrationCodec: Codec<RigCalibration> | undefined;
    const handedOver = new Set<string>();
    let calibrationsHandedOver = 0;
    /** Hands a calibration record (as it goes out) to the sink, once per rig, version and validity. */
    const handOver = async (m: RecordedMessage, record: OutgoingRecord): Promise<void> => {
      const sink = options.calibration;
      if (sink === undefined || m.topic !== calibrationTopic) return;
      if (m.schemaJson !== undefined) calibrationRegistry.register(m.schemaJson);
      calibrationCodec ??= createCodec<RigCalibration>(calibrationRegistry, rigCalibrationSchema);
      const calibration = calibrationCodec.decode(record.value);
      const id = `${calibration.rigId}\u0000${String(calibration.version)}\u0000${String(calibration.validFromUs)}`;
      if (handedOver.has(id)) return;
      handedOver.add(id);
      await sink.publish(calibration);
      calibrationsHandedOver++;
    };
    // Paced replays play a device: they hand records over without waiting for each acknowledgement
    // (bounded by the bytes in flight), else one record per broker round trip caps a rig far below
    // real time over Kafka. Deterministic replays wait for each batch, as they did.
    const pipeline = paced ? new PipelinedPublisher(options.bus) : undefined;
    const send = async (topic: string, records: OutgoingRecord[]): Promise<void> => {
      await (pipeline ?? options.bus).publish(`${prefix}${topic}`, records);
      byTopic[topic] = (byTopic[topic] ?? 0) + records.length;
      for (const r of records) bytes += r.value.length;
    };
    /** The newest static record per topic and key at `atUs` (or the first one when none is older). */
    const publishStatic = async (atUs: number): Promise<Set<RecordedMessage>> => {
      const chosen = new Map<string, RecordedMessage>();
      for (const m of staticMessages) {
        const k = `${m.topic}\u0000${m.key?.toString('hex') ?? ''}`;
        const cur = chosen.get(k);
        if (!cur || (m.logTimeUs <= atUs && (cur.logTimeUs > atUs || m.logTimeUs >= cur.logTimeUs))) chosen.set(k, m);
      }
      for (const m of chosen.values()) {
        const record = toRecord(m);
        await handOver(m, record);
        await send(m.topic, [record]);
        staticPublished++;
      }
      return new Set(chosen.values());
    };

    let position = rangeStart;
    while (loop < loops && !control.stopped) {
      shiftUs = options.retime === 'now' ? wall() - position : 0;
      epochHeaders = { [REPLAY_EPOCH_HEADER]: Buffer.from(`${replayId}:${String(epoch)}`) };
      epoch++;
      const already = await publishStatic(position);
      pacer?.anchor(position);
      let seeked = false;
      let batchTopic: string | undefined;
      let batch: OutgoingRecord[] = [];
      let batchBytes = 0;
      const flush = async (): Promise<void> => {
        if (batchTopic !== undefined && batch.length > 0) await send(batchTopic, batch);
        batch = [];
        batchBytes = 0;
        batchTopic = undefined;
      };
      const span = Math.max(1, rangeEnd - rangeStart);
      const it = (reader ?? rec).batches({ topics, startTimeUs: position, endTimeUs: rangeEnd });
      // Read one batch (chunk) ahead: the next chunk is read and decompressed while this one's
      // messages wait for their due times, not after them.
      let ahead = it.next();
      outer: for (;;) {
        const step = await ahead;
        if (step.done === true) break;
        const messages = step.value;
        ahead = it.next();
        for (const m of messages) {
          if (isStopped()) break outer;
          if (control.pendingSeekUs !== undefined) {
            position = dataStart + control.pendingSeekUs;
            control.pendingSeekUs = undefined;
            seeked = true;
            seeks++;
            break outer;
          }
          if (m.static && [...already].some((s) => s.topic === m.topic && s.logTimeUs === m.logTimeUs && s.key?.equals(m.key ?? Buffer.alloc(0)) !== false)) continue;
          if (m.static && options.calibration !== undefined && m.topic === calibrationTopic) {
            // The sink gets it before any data after it (and before the batch it would join is sent).
            await flush();
            await handOver(m, toRecord(m));
          }
          if (pacer) {
            const r = await pacer.wait(m.logTimeUs);
            lags.push(r.lagUs);
            await send(m.topic, [toRecord(m)]);
          } else {
            // Deterministic mode: consecutive records of one topic go out in one publish, order kept.
            if (batchTopic !== m.topic || batch.length >= 256 || batchBytes >= 8 * 1024 * 1024) await flush();
            batchTopic = m.topic;
            const r = toRecord(m);
            batch.push(r);
            batchBytes += r.value.length;
          }
          published++;
          options.onProgress?.({ loop, logTimeUs: m.logTimeUs, fraction: Math.min(1, (m.logTimeUs - rangeStart) / span), published });
        }
      }
      await flush();
      // a read-ahead left pending by stop or seek settles before the generator is closed
      await ahead.then(() => undefined, () => undefined);
      await it.return(undefined);
      if (!seeked) {
        loop++;
        position = rangeStart;
      }
    }
    // Done means acknowledged: a failed publish rejects the replay here at the latest.
    await pipeline?.flush();
    const sorted = Float64Array.from(lags).sort();
    return {
      published,
      publishedByTopic: byTopic,
      staticPublished,
      loops: loop,
      seeks,
      reanchors: pacer?.reanchors ?? 0,
      pacingBackOffs: system?.governor?.backOffs ?? 0,
      calibrationsHandedOver,
      lagP50Us: percentile(sorted, 0.5),
      lagP99Us: percentile(sorted, 0.99),
      lagMaxUs: sorted.length > 0 ? (sorted[sorted.length - 1] ?? 0) : 0,
      bytes,
    };
  };

  return {
    done: run(),
    seek(offsetUs: number) {
      control.pendingSeekUs = offsetUs;
    },
    stop() {
      control.stopped = true;
    },
  };
}

/** A one-line progress bar on a TTY stream (stderr by default); a no-op elsewhere. */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): (p: ReplayProgress) => void {
  let lastDraw = 0;
  return (p) => {
    if (!stream.isTTY) return;
    const now = performance.now();
    if (now - lastDraw < 100 && p.fraction < 1) return;
    lastDraw = now;
    const width = 30;
    const filled = Math.round(p.fraction * width);
    stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(p.fraction * 100).toFixed(0).padStart(3)}% loop ${p.loop + 1} · ${p.published} msgs`);
  };
}
