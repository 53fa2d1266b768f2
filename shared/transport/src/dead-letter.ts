import { metrics, type Counter, type Meter } from '@opentelemetry/api';
import { errorMessage, errorName, isRetriable } from '@sensorfuse/errors';
import {
  asyncScheduler,
  catchError,
  concatMap,
  defer,
  EMPTY,
  from,
  map,
  of,
  retry,
  throwError,
  timer,
  type Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import { deadLetterTopic, type Bus, type ConsumedRecord, type OutgoingRecord } from './types.js';

/** Headers added to a dead letter, next to the original record's own headers. */
export const DEAD_LETTER_HEADERS = {
  errorClass: 'x-error-class',
  errorMessage: 'x-error-message',
  sourceTopic: 'x-source-topic',
  sourcePartition: 'x-source-partition',
  sourceOffset: 'x-source-offset',
} as const;

/** A record that decoded, with its commit (cumulative per partition, like ConsumedRecord.commit). */
export interface DecodedRecord<T> {
  readonly record: ConsumedRecord;
  readonly value: T;
  commit(): Promise<void>;
}

export interface DeadLetterEvent {
  readonly record: ConsumedRecord;
  readonly error: unknown;
  readonly deadLetterTopic: string;
}

export interface DecodeOrDeadLetterOptions<T> {
  /** Where dead letters are published: `<source topic>.dlq` on this bus. */
  readonly bus: Pick<Bus, 'publish'>;
  /** Bytes to a value, e.g. codec.decode plus validation. Throws to reject the record. */
  readonly decode: (record: ConsumedRecord) => T | Promise<T>;
  /** Retries of a retriable failure (decode or dead-letter publish) before the stream errors. Default 5. */
  readonly maxRetries?: number;
  /** First back-off, doubled per retry up to maxBackoffMs. Defaults 100 ms and 5000 ms. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Scheduler of the back-off timers (a TestScheduler in marble tests). Default asyncScheduler. */
  readonly scheduler?: SchedulerLike;
  /** Called once per dead letter after it is durable, e.g. to log it. */
  readonly onDeadLetter?: (event: DeadLetterEvent) => void;
  /** Meter for the `sensorfuse.transport.dead_letters` counter; default the global OpenTelemetry meter. */
  readonly meter?: Meter;
}

/** The dead letter of `record`: original key, value and headers, plus why and where it came from. */
export function deadLetterRecord(record: ConsumedRecord, error: unknown): OutgoingRecord {
  return {
    key: record.rawKey,
    value: record.value,
    headers: {
      ...record.headers,
      [DEAD_LETTER_HEADERS.errorClass]: errorName(error),
      [DEAD_LETTER_HEADERS.errorMessage]: errorMessage(error),
      [DEAD_LETTER_HEADERS.sourceTopic]: record.topic,
      [DEAD_LETTER_HEADERS.sourcePartition]: String(record.partition),
      [DEAD_LETTER_HEADERS.sourceOffset]: record.offset,
    },
  };
}

interface Pending {
  readonly record: ConsumedRecord;
  readonly offset: number;
  done: boolean;
}

/**
 * Records of one partition in arrival order. The group's offset only moves past a record when it
 * and everything before it is finished, so a dead letter committed right away never commits past a
 * good record the worker is still processing.
 */
class PartitionProgress {
  private readonly queue: Pending[] = [];

  add(record: ConsumedRecord): Pending {
    const entry = { record, offset: Number(record.offset), done: false };
    this.queue.push(entry);
    return entry;
  }

  /** A dead letter: only this record is finished. */
  finish(entry: Pending): Promise<void> {
    entry.done = true;
    return this.commitPrefix();
  }

  /** A worker's commit: cumulative, this record and every earlier one are finished. */
  finishUpTo(offset: number): Promise<void> {
    for (const entry of this.queue) {
      if (entry.offset > offset) break;
      entry.done = true;
    }
    return this.commitPrefix();
  }

  private commitPrefix(): Promise<void> {
    let last: Pending | undefined;
    while (this.queue[0]?.done === true) last = this.queue.shift();
    return last === undefined ? Promise.resolve() : last.record.commit();
  }
}

function attempt<R>(fn: () => R | Promise<R>): Observable<R> {
  return defer(() => {
    const result = fn();
    return result instanceof Promise ? from(result) : of(result);
  });
}

/**
 * Decode each consumed record; send a record that can never decode to `<topic>.dlq` and commit past
 * it; retry retriable failures with bounded exponential back-off (never dead-lettered: after the
 * last retry the stream errors and the record stays uncommitted for redelivery). Records are
 * handled one at a time, in order.
 */
export function decodeOrDeadLetter<T>(options: DecodeOrDeadLetterOptions<T>): OperatorFunction<ConsumedRecord, DecodedRecord<T>> {
  const maxRetries = options.maxRetries ?? 5;
  const initialMs = options.initialBackoffMs ?? 100;
  const maxMs = options.maxBackoffMs ?? 5000;
  const scheduler = options.scheduler ?? asyncScheduler;
  const counter: Counter = (options.meter ?? metrics.getMeter('sensorfuse.transport')).createCounter(
    'sensorfuse.transport.dead_letters',
    { description: 'Records sent to a dead-letter topic, by source topic and error class', unit: '{record}' },
  );

  const withRetry = <R>(fn: () => R | Promise<R>): Observable<R> =>
    attempt(fn).pipe(
      retry({
        count: maxRetries,
        delay: (error: unknown, retryCount: number) =>
          isRetriable(error) ? timer(Math.min(maxMs, initialMs * 2 ** (retryCount - 1)), scheduler) : throwError(() => error),
      }),
    );

  return (source) =>
    defer(() => {
      const progress = new Map<string, PartitionProgress>();
      return source.pipe(
        concatMap((record) => {
          const key = `${record.topic}\u0000${String(record.partition)}`;
          let partition = progress.get(key);
          if (partition === undefined) {
            partition = new PartitionProgress();
            progress.set(key, partition);
          }
          const tracker = partition;
          const entry = tracker.add(record);
          return withRetry(() => options.decode(record)).pipe(
            map((value): DecodedRecord<T> => ({ record, value, commit: () => tracker.finishUpTo(entry.offset) })),
            catchError((error: unknown) => {
              if (isRetriable(error)) return throwError(() => error);
              const topic = deadLetterTopic(record.topic);
              return withRetry(() => options.bus.publish(topic, [deadLetterRecord(record, error)])).pipe(
                concatMap(() => {
                  counter.add(1, { 'messaging.destination.name': record.topic, 'error.type': errorName(error) });
                  options.onDeadLetter?.({ record, error, deadLetterTopic: topic });
                  return from(tracker.finish(entry));
                }),
                concatMap(() => EMPTY),
              );
            }),
          );
        }),
      );
    });
}

/** Subscribe and decode in one step: the stream a worker consumes. */
export function consumeDecoded<T>(
  bus: Bus,
  subscribe: Parameters<Bus['subscribe']>[0],
  options: Omit<DecodeOrDeadLetterOptions<T>, 'bus'>,
): Observable<DecodedRecord<T>> {
  return bus.subscribe(subscribe).pipe(decodeOrDeadLetter({ ...options, bus }));
}
