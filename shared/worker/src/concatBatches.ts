import { from, Observable, type ObservableInput, type OperatorFunction, type Subscription } from 'rxjs';

export interface ConcatBatchesOptions {
  /** Most items handed to one `project` call; the rest wait for the next one. Default 256. */
  readonly maxBatch?: number;
}

/**
 * Like `concatMap`, but over batches: the first item starts `project([item])` at once; items that
 * arrive while a projection runs are collected and handed to the next projection as one batch, in
 * arrival order. One projection runs at a time, so order is kept and a failing projection holds
 * back everything after it. No timer: a lone item is never delayed, and under load the batch grows
 * to whatever arrived during one round trip (the worker's publish → one produce request per batch
 * instead of a request and an acknowledgement per record).
 */
export function concatBatches<T, R>(project: (batch: readonly T[]) => ObservableInput<R>, options: ConcatBatchesOptions = {}): OperatorFunction<T, R> {
  const maxBatch = options.maxBatch ?? 256;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`concatBatches: expected maxBatch to be a positive integer, found ${String(maxBatch)}`);
  return (source) =>
    new Observable<R>((subscriber) => {
      const waiting: T[] = [];
      let busy = false;
      let sourceDone = false;
      let inner: Subscription | undefined;

      const next = (): void => {
        if (busy || subscriber.closed) return;
        if (waiting.length === 0) {
          if (sourceDone) subscriber.complete();
          return;
        }
        busy = true;
        const batch = waiting.splice(0, maxBatch);
        let projected: ObservableInput<R>;
        try {
          projected = project(batch);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        const running = from(projected).subscribe({
          next: (value) => {
            subscriber.next(value);
          },
          error: (error: unknown) => {
            subscriber.error(error);
          },
          complete: () => {
            busy = false;
            inner = undefined;
            next();
          },
        });
        // Closed already: it completed synchronously (and may have started the next one).
        if (!running.closed) inner = running;
      };

      const upstream = source.subscribe({
        next: (item) => {
          waiting.push(item);
          next();
        },
        error: (error: unknown) => {
          subscriber.error(error);
        },
        complete: () => {
          sourceDone = true;
          next();
        },
      });

      return () => {
        upstream.unsubscribe();
        inner?.unsubscribe();
        waiting.length = 0;
      };
    });
}
