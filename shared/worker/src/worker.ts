import { performance } from 'node:perf_hooks';
import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { InvalidRecordError, validateCommonFields, type Codec, type CommonFields } from '@sensorfuse/codec';
import { errorMessage, errorName, isRetriable, SensorfuseError } from '@sensorfuse/errors';
import {
  ATTR,
  createPipelineMetrics,
  getMeter,
  getTracer,
  startMessageHop,
  type MessageHop,
  type PipelineMetrics,
} from '@sensorfuse/telemetry';
import {
  CommitRejectedError,
  deadLetterRecord,
  deadLetterTopic,
  decodeOrDeadLetter,
  REPLAY_EPOCH_HEADER,
  type Bus,
  type ConsumedRecord,
  type DeadLetterEvent,
  type DecodedRecord,
  type OutgoingRecord,
} from '@sensorfuse/transport';
import { asyncScheduler, defer, from, tap, timer, type SchedulerLike, type Subscription } from 'rxjs';
import { concatBatches } from './concatBatches.js';
import type { CoreContext, WorkerCore, WorkerLogger, WorkerState, WorkerStats } from './types.js';

export interface WorkerInput<I> {
  readonly topic: string;
  /** Consumer group; every instance of one service shares it. */
  readonly groupId: string;
  readonly codec: Pick<Codec<I>, 'decode'>;
  /** Where a group without a committed offset starts. Default true (oldest record). */
  readonly fromBeginning?: boolean;
  /** Uncommitted records delivered before the bus pauses (transport default 1000). */
  readonly highWaterMark?: number;
  readonly highWaterMarkBytes?: number;
}

export interface WorkerOutput<O> {
  readonly topic: string;
  readonly codec: Pick<Codec<O>, 'encode' | 'schemaName'>;
}

export interface WorkerRetry {
  /** Retries of a retriable failure (decode, publish, dead letter) before the worker fails. Default 5. */
  readonly maxRetries?: number;
  /** First back-off, doubled per retry up to maxBackoffMs. Defaults 100 ms and 5000 ms. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export interface WorkerOptions<I extends CommonFields, O extends CommonFields> {
  /** Service name: tracer/meter scope `sensorfuse.<name>`, log field. */
  readonly name: string;
  readonly bus: Bus;
  readonly input: WorkerInput<I>;
  readonly output: WorkerOutput<O>;
  /** Makes the core for a new state key, from the first input with that key. */
  readonly createCore: (first: I) => WorkerCore<I, O>;
  /** State key of an input; default `rigId/sensorId` (one core per sensor of each rig). */
  readonly coreKey?: (input: I) => string;
  /** Checks beyond the common fields; throw a PoisonRecordError to dead-letter the record. */
  readonly validate?: (input: I, record: ConsumedRecord) => void;
  /**
   * A capture time more than this after the broker received the record is a clock fault
   * (InvalidRecordError, dead-lettered). Default: no check beyond the 2000..2100 plausibility range.
   */
  readonly maxCaptureAheadUs?: number;
  /** Bound on live core instances; the least recently used one is evicted beyond it. Default 10 000. */
  readonly maxCores?: number;
  /**
   * Most input records whose outputs go out in one publish call (those decoded while the previous
   * publish was in flight). Default 256.
   */
  readonly maxPublishBatch?: number;
  readonly retry?: WorkerRetry;
  /** Scheduler of the retry back-off timers (a TestScheduler in marble tests). */
  readonly scheduler?: SchedulerLike;
  /** Default the global tracer `sensorfuse.<name>` (non-recording without an SDK; trace ids still propagate). */
  readonly tracer?: Tracer;
  /** Default the standard instruments on the global meter `sensorfuse.<name>`. */
  readonly metrics?: PipelineMetrics;
  readonly logger?: WorkerLogger;
}

/** A running consume → decode → core → publish → commit loop. */
export interface Worker {
  readonly name: string;
  readonly state: WorkerState;
  /**
   * Subscribes and starts processing. `onFatal` is called once if the loop dies (a retriable
   * failure outlived its retries, or the bus failed): the service should then drain and exit.
   */
  start(onFatal?: (error: unknown) => void): void;
  /** Readiness: subscribed and processing (false before start, while draining, after a failure). */
  isReady(): boolean;
  /**
   * Stops taking new records, finishes the one in work (publish and commit), hands the rest back
   * uncommitted (they are redelivered to the group's next member) and unsubscribes. Idempotent.
   */
  drain(): Promise<void>;
  stats(): WorkerStats;
}

/** What processing one record produced, carried from the decode step to the publish step. */
interface Processed {
  readonly hop: MessageHop;
  readonly records: readonly OutgoingRecord[];
}

const HANDED_BACK = Symbol('handed-back');
type Step = Processed | typeof HANDED_BACK;

function contentTypeOf(schemaName: string): string {
  const short = schemaName.slice(schemaName.lastIndexOf('.') + 1);
  return `application/vnd.sensorfuse.${short.toLowerCase()}`;
}

function defaultKey(input: CommonFields): string {
  return `${input.rigId}\u0000${input.sensorId}`;
}

function endWithError(hop: MessageHop, error: unknown): void {
  hop.span.recordException(error instanceof Error ? error : String(error));
  hop.span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
  hop.span.setAttribute(ATTR.errorType, errorName(error));
  hop.span.end();
}

function elapsedSeconds(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}

/**
 * The worker every modality service runs: consume `input.topic` in `input.groupId`, decode each
 * record (bad bytes, implausible common fields, a clock far ahead, a record the core rejects →
 * `<input topic>.dlq` with the error class as the reason), run the record's core (one per state
 * key), publish its outputs keyed by rig id with the record's trace context continued in a span
 * per hop, and commit the input only after its outputs are durable (at-least-once). Records are
 * decoded and run one at a time in order; their outputs go out in order, those of the records
 * processed while a publish was in flight together in the next publish call.
 */
export function createWorker<I extends CommonFields, O extends CommonFields>(options: WorkerOptions<I, O>): Worker {
  const { name, bus, input, output } = options;
  const tracer = options.tracer ?? getTracer(name);
  const metrics = options.metrics ?? createPipelineMetrics(getMeter(name));
  const keyOf: (value: I) => string = options.coreKey ?? defaultKey;
  const maxCores = options.maxCores ?? 10_000;
  const maxRetries = options.retry?.maxRetries ?? 5;
  const initialBackoffMs = options.retry?.initialBackoffMs ?? 100;
  const maxBackoffMs = options.retry?.maxBackoffMs ?? 5000;
  const scheduler = options.scheduler ?? asyncScheduler;
  const contentType = contentTypeOf(output.codec.schemaName);
  const dlqTopic = deadLetterTopic(input.topic);
  const cores = new Map<string, WorkerCore<I, O>>();

  let state: WorkerState = 'idle';
  let subscription: Subscription | undefined;
  let inFlight = 0;
  let fatal: ((error: unknown) => void) | undefined;
  let idleWaiters: (() => void)[] = [];
  const counts = { consumed: 0, processed: 0, published: 0, deadLettered: 0, handedBack: 0, commitsRejected: 0, coresEvicted: 0 };
  const reasons: Record<string, number> = {};

  const settle = (): void => {
    inFlight--;
    if (inFlight === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };
  const releaseWaiters = (): void => {
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };
  /** The loop died (the stream errored, or a commit failed after its publish): once. */
  const fail = (error: unknown): void => {
    if (state === 'failed') return;
    state = 'failed';
    releaseWaiters();
    options.logger?.error({ worker: name, reason: errorName(error), message: errorMessage(error) }, 'worker loop failed');
    subscription?.unsubscribe();
    subscription = undefined;
    fatal?.(error);
  };

  function coreFor(value: I): WorkerCore<I, O> {
    const key = keyOf(value);
    let core = cores.get(key);
    if (core === undefined) {
      core = options.createCore(value);
      if (cores.size >= maxCores) {
        const oldest = cores.keys().next();
        if (oldest.done !== true) {
          cores.delete(oldest.value);
          counts.coresEvicted++;
          options.logger?.warn({ worker: name, maxCores }, 'core evicted: more state keys than maxCores, its state is lost');
        }
      }
    } else {
      // Map order is insertion order: re-inserting makes this the most recently used key.
      cores.delete(key);
    }
    cores.set(key, core);
    return core;
  }

  function checkClock(value: I, record: ConsumedRecord): void {
    const limit = options.maxCaptureAheadUs;
    if (limit === undefined || value.captureTimeUs <= record.timestampUs + limit) return;
    throw new InvalidRecordError(
      'captureTimeUs',
      `at most ${limit} µs after the broker received the record at ${record.timestampUs}`,
      `${value.captureTimeUs} (${value.captureTimeUs - record.timestampUs} µs ahead)`,
      { context: { sensorId: value.sensorId, rigId: value.rigId } },
    );
  }

  function encodeAll(hop: MessageHop, outputs: readonly O[], record: ConsumedRecord): OutgoingRecord[] {
    const headers: Record<string, string | Buffer> = {};
    for (const [k, v] of Object.entries(hop.inject({ 'content-type': contentType }))) if (v !== undefined) headers[k] = v;
    // A replay's loop/seek epoch travels with what the record produced (the fusion worker resets on it).
    const epoch = record.headers[REPLAY_EPOCH_HEADER];
    if (epoch !== undefined) headers[REPLAY_EPOCH_HEADER] = epoch;
    return outputs.map((value) => ({ key: value.rigId, value: output.codec.encode(value), headers }));
  }

  /** Decode, validate, run the core and encode: everything that can reject one record. Never publishes. */
  function processRecord(record: ConsumedRecord): Step | Promise<Step> {
    if (state !== 'running') return HANDED_BACK;
    const hop = startMessageHop(tracer, {
      topic: record.topic,
      headers: record.headers,
      partition: record.partition,
      offset: record.offset,
      attributes: { [ATTR.consumerGroup]: input.groupId },
    });
    try {
      const t0 = performance.now();
      const value = input.codec.decode(record.value);
      validateCommonFields(value);
      checkClock(value, record);
      options.validate?.(value, record);
      hop.span.setAttribute(ATTR.rigId, value.rigId);
      hop.span.setAttribute(ATTR.sensorId, value.sensorId);
      const t1 = performance.now();
      metrics.stageDuration.record((t1 - t0) / 1000, { [ATTR.stage]: 'decode' });
      const context: CoreContext = { receivedAtUs: record.timestampUs, topic: record.topic, partition: record.partition, offset: record.offset };
      const result = coreFor(value).update(value, context);
      if (result instanceof Promise) {
        return result.then(
          (outputs) => {
            metrics.stageDuration.record(elapsedSeconds(t1), { [ATTR.stage]: 'core' });
            return { hop, records: encodeAll(hop, outputs, record) };
          },
          (error: unknown) => {
            endWithError(hop, error);
            throw error;
          },
        );
      }
      metrics.stageDuration.record(elapsedSeconds(t1), { [ATTR.stage]: 'core' });
      return { hop, records: encodeAll(hop, result, record) };
    } catch (error) {
      endWithError(hop, error);
      throw error;
    }
  }

  function onDeadLetter(event: DeadLetterEvent): void {
    const reason = errorName(event.error);
    counts.deadLettered++;
    reasons[reason] = (reasons[reason] ?? 0) + 1;
    metrics.dlqRecords.add(1, { [ATTR.topic]: event.record.topic, [ATTR.errorType]: reason });
    const error = event.error instanceof SensorfuseError ? event.error : undefined;
    const fields = {
      worker: name,
      reason,
      message: errorMessage(event.error),
      topic: event.record.topic,
      partition: event.record.partition,
      offset: event.record.offset,
      ...(error === undefined ? {} : { context: error.context }),
    };
    // A PoisonRecordError is bad input (expected); anything else thrown is a bug in a core.
    if (error === undefined) options.logger?.error({ ...fields, stack: event.error instanceof Error ? event.error.stack : undefined }, 'record dead-lettered by an unexpected error');
    else options.logger?.warn(fields, 'record dead-lettered');
    settle();
  }

  /** Publish with bounded exponential back-off for retriable failures. */
  async function publishWithRetry(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await bus.publish(topic, records);
        return;
      } catch (error) {
        if (!isRetriable(error) || attempt >= maxRetries) throw error;
        const delayMs = Math.min(maxBackoffMs, initialBackoffMs * 2 ** attempt);
        await new Promise<void>((resolve) => timer(delayMs, scheduler).subscribe(() => { resolve(); }));
      }
    }
  }

  async function commit(decoded: DecodedRecord<Step>): Promise<void> {
    try {
      await decoded.commit();
    } catch (error) {
      // The partition moved to another member (rebalance) or the subscription ended: that member
      // gets the record again (at-least-once). Not a reason to stop this worker.
      if (!(error instanceof CommitRejectedError)) throw error;
      counts.commitsRejected++;
      options.logger?.warn({ worker: name, reason: error.message, offset: decoded.record.offset }, 'commit rejected; the record will be redelivered');
    }
  }

  /** What a batch publishes for one input record. */
  interface Work {
    readonly decoded: DecodedRecord<Step>;
    readonly hop: MessageHop;
    readonly records: readonly OutgoingRecord[];
  }

  /**
   * The input is committed once its outputs are durable, without waiting for the commit before the
   * next batch is published (commits are cumulative and ordered per partition in the transport).
   * Processed, span and settle follow the commit; a commit failure other than a moved partition
   * fails the worker.
   */
  function commitAfterPublish(work: Work, publishStartMs: number): void {
    commit(work.decoded).then(
      () => {
        metrics.stageDuration.record(elapsedSeconds(publishStartMs), { [ATTR.stage]: 'publish' });
        counts.processed++;
        work.hop.span.end();
        settle();
      },
      (error: unknown) => {
        endWithError(work.hop, error);
        fail(error);
      },
    );
  }

  /** One input on its own: publish its outputs, or dead-letter it when they can never be published. */
  async function publishOne(work: Work): Promise<void> {
    const t0 = performance.now();
    if (work.records.length > 0) {
      try {
        await publishWithRetry(output.topic, work.records);
      } catch (error) {
        if (isRetriable(error)) {
          endWithError(work.hop, error);
          throw error;
        }
        // The output can never be published (e.g. larger than the topic allows): the input is
        // dead-lettered with that reason instead of blocking the partition.
        try {
          await publishWithRetry(dlqTopic, [deadLetterRecord(work.decoded.record, error)]);
          onDeadLetterPublished(work.decoded.record, error);
          await commit(work.decoded);
        } finally {
          endWithError(work.hop, error);
        }
        return;
      }
      counts.published += work.records.length;
    }
    commitAfterPublish(work, t0);
  }

  /**
   * Publishes the outputs of every input decoded while the previous batch was in flight as one
   * publish call (one produce request instead of a request and an acknowledgement per input), then
   * commits those inputs. One batch at a time, so a retried publish never lands after a later one.
   */
  async function publishBatch(batch: readonly DecodedRecord<Step>[]): Promise<void> {
    const work: Work[] = [];
    for (const decoded of batch) {
      if (decoded.value === HANDED_BACK) {
        counts.handedBack++;
        settle();
      } else {
        work.push({ decoded, hop: decoded.value.hop, records: decoded.value.records });
      }
    }
    const only = work[0];
    if (only === undefined) return;
    if (work.length === 1) {
      await publishOne(only);
      return;
    }
    const t0 = performance.now();
    const records = work.flatMap((w) => w.records);
    if (records.length > 0) {
      try {
        await publishWithRetry(output.topic, records);
      } catch (error) {
        if (isRetriable(error)) {
          for (const w of work) endWithError(w.hop, error);
          throw error;
        }
        // One input's outputs can never be published (the call fails as a whole): each input on
        // its own, in order, so only that one is dead-lettered.
        for (const w of work) await publishOne(w);
        return;
      }
      counts.published += records.length;
    }
    for (const w of work) commitAfterPublish(w, t0);
  }

  function onDeadLetterPublished(record: ConsumedRecord, error: unknown): void {
    onDeadLetter({ record, error, deadLetterTopic: dlqTopic });
  }

  return {
    name,
    get state() {
      return state;
    },
    start(onFatal) {
      if (state !== 'idle') throw new Error(`worker ${name} was already started (state ${state})`);
      state = 'running';
      const pipeline = bus
        .subscribe({
          groupId: input.groupId,
          topics: [input.topic],
          fromBeginning: input.fromBeginning ?? true,
          ...(input.highWaterMark === undefined ? {} : { highWaterMark: input.highWaterMark }),
          ...(input.highWaterMarkBytes === undefined ? {} : { highWaterMarkBytes: input.highWaterMarkBytes }),
        })
        .pipe(
          tap(() => {
            counts.consumed++;
            inFlight++;
          }),
          decodeOrDeadLetter<Step>({
            bus,
            decode: processRecord,
            onDeadLetter,
            maxRetries,
            initialBackoffMs,
            maxBackoffMs,
            scheduler,
          }),
          concatBatches((batch: readonly DecodedRecord<Step>[]) => defer(() => from(publishBatch(batch))), { maxBatch: options.maxPublishBatch ?? 256 }),
        );
      fatal = onFatal;
      subscription = pipeline.subscribe({
        error: fail,
        complete: () => {
          if (state === 'running') state = 'stopped';
          releaseWaiters();
        },
      });
    },
    isReady() {
      return state === 'running';
    },
    async drain() {
      if (state === 'running') {
        state = 'draining';
        if (inFlight > 0) {
          await new Promise<void>((resolve) => {
            idleWaiters.push(resolve);
          });
        }
      }
      subscription?.unsubscribe();
      subscription = undefined;
      if (state !== 'failed') state = 'stopped';
    },
    stats() {
      return { ...counts, deadLetterReasons: { ...reasons }, cores: cores.size };
    },
  };
}
