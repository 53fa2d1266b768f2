import { errorMessage } from '@sensorfuse/errors';
import { randomBytes } from 'node:crypto';
import type { Bus, ConsumedRecord } from '@sensorfuse/transport';
import type { Subscription } from 'rxjs';
import { SchemaCatalog } from './catalog.js';
import { RecorderUsageError } from './errors.js';
import { RecordingWriter, type RecordingWriterOptions, type WriterStats } from './writer.js';

/** Pipeline topics a pattern is matched against when the caller gives no candidates (the Bus cannot list topics). */
export const PIPELINE_TOPICS: readonly string[] = (() => {
  const modalities = ['camera', 'lidar', 'audio', 'motion', 'sensor'];
  const base = [...modalities.map((m) => `raw.${m}`), ...modalities.map((m) => `obs.${m}`), 'fused.detections', 'calibration.rig', 'sim.truth'];
  return [...base, ...base.map((t) => `${t}.dlq`)];
})();

export interface RecordOptions extends Omit<RecordingWriterOptions, 'catalog'> {
  readonly bus: Bus;
  /** Topics to record. */
  readonly topics?: readonly string[];
  /** Or: record the topics matching this pattern among `candidateTopics` that exist on the Bus. */
  readonly pattern?: RegExp;
  /** Topics a pattern is matched against (default PIPELINE_TOPICS, with `topicPrefix` in front). */
  readonly candidateTopics?: readonly string[];
  /** Prefix of candidate topic names (a test's namespace), default none. */
  readonly topicPrefix?: string;
  /** Consumer group (default a fresh `sensorfuse-recorder-<hex>`, so a recorder never steals a worker's records). */
  readonly groupId?: string;
  /** Record what the topics already hold (true) or only records published from now on (default false). */
  readonly fromBeginning?: boolean;
  /** Extra Avro writer schemas beyond schemas/*.avsc. */
  readonly schemas?: readonly object[];
}

export interface Recorder {
  /** Topics being recorded. */
  readonly topics: readonly string[];
  /** Records received so far. */
  readonly received: () => number;
  /** Records known to be on disk in complete chunks (what a crash now would keep). */
  readonly flushed: () => number;
  /** Resolves when `count` records have been written (for tests and bounded recordings). */
  readonly whenReceived: (count: number) => Promise<void>;
  /** Unsubscribe, write the last chunk and the index, commit, and return what was written. */
  readonly stop: () => Promise<WriterStats>;
}

async function resolveTopics(options: RecordOptions): Promise<string[]> {
  if (options.topics && options.pattern) throw new RecorderUsageError('give topics or pattern, not both');
  if (options.topics) {
    if (options.topics.length === 0) throw new RecorderUsageError('topics is empty: nothing to record');
    return [...options.topics];
  }
  if (!options.pattern) throw new RecorderUsageError('give topics or pattern to record');
  const prefix = options.topicPrefix ?? '';
  const candidates = options.candidateTopics ?? PIPELINE_TOPICS.map((t) => `${prefix}${t}`);
  const matching = candidates.filter((t) => options.pattern?.test(t));
  const existing: string[] = [];
  for (const t of matching) if ((await options.bus.admin.partitionCount(t)) !== undefined) existing.push(t);
  if (existing.length === 0) throw new RecorderUsageError(`no existing topic matches ${String(options.pattern)}`, { context: { candidates: candidates.length } });
  return existing;
}

/**
 * Records Bus topics to MCAP. Offsets are committed only once the records are in a complete chunk
 * on disk, so a crashed recorder's group resumes from the first record the file lost.
 */
export async function record(options: RecordOptions): Promise<Recorder> {
  const topics = await resolveTopics(options);
  const writer = new RecordingWriter({ ...options, catalog: new SchemaCatalog(options.schemas) });
  const groupId = options.groupId ?? `sensorfuse-recorder-${randomBytes(6).toString('hex')}`;
  const chunkBytes = options.chunkBytes ?? 1024 * 1024;
  /** Received but not yet on disk, in arrival order, to commit once flushed. */
  let pending: ConsumedRecord[] = [];
  let committedUpTo = 0;
  let received = 0;
  let failure: unknown;
  let stopping = false;
  let chain: Promise<void> = Promise.resolve();
  const waiters: { count: number; resolve: () => void }[] = [];

  const commitFlushed = async (upTo: number): Promise<void> => {
    const n = upTo - committedUpTo;
    if (n <= 0) return;
    const done = pending.slice(0, n);
    pending = pending.slice(n);
    committedUpTo = upTo;
    // Commits are cumulative per partition: the last record of each partition is enough.
    const last = new Map<string, ConsumedRecord>();
    for (const r of done) last.set(`${r.topic}\u0000${String(r.partition)}`, r);
    await Promise.all([...last.values()].map((r) => r.commit()));
  };

  const subscription: Subscription = options.bus
    .subscribe({
      groupId,
      topics,
      fromBeginning: options.fromBeginning ?? false,
      // Records are committed per chunk, so a whole chunk is uncommitted at a time.
      highWaterMark: Infinity,
      highWaterMarkBytes: Math.max(64 * 1024 * 1024, 4 * chunkBytes),
    })
    .subscribe({
      next: (r) => {
        chain = chain.then(async () => {
          // After stop() began, records are left uncommitted for the group's next member.
          if (failure !== undefined || stopping) return;
          try {
            pending.push(r);
            await writer.add({ topic: r.topic, key: r.rawKey, headers: r.headers, value: r.value, timestampUs: r.timestampUs });
            received++;
            await commitFlushed(writer.flushedMessages);
            for (const w of waiters.filter((x) => received >= x.count)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve();
            }
          } catch (error) {
            failure = error;
          }
        });
      },
      error: (error: unknown) => {
        failure ??= error;
      },
    });

  // A quiet topic must not keep records in an open chunk (and uncommitted) forever.
  const ageMs = options.maxChunkAgeMs ?? 1000;
  const timer = setInterval(() => {
    chain = chain.then(async () => {
      if (failure !== undefined || stopping) return;
      try {
        writer.flushIfStale();
        await commitFlushed(writer.flushedMessages);
      } catch (error) {
        failure = error;
      }
    });
  }, Math.max(20, ageMs / 2));
  timer.unref();

  return {
    topics,
    received: () => received,
    flushed: () => writer.flushedMessages,
    whenReceived: (count) =>
      received >= count ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ count, resolve })),
    stop: async () => {
      stopping = true;
      clearInterval(timer);
      await chain;
      const stats = await writer.close();
      // Commit while still a member of the group, then leave it.
      try {
        await commitFlushed(writer.flushedMessages);
      } finally {
        subscription.unsubscribe();
      }
      if (failure !== undefined) throw failure instanceof Error ? failure : new Error(errorMessage(failure));
      return stats;
    },
  };
}
