import { Observable, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { defaultDiagnostics, type AlignDiagnostics } from './diagnostics.js';
import { InputTracker } from './input-tracker.js';
import { schedulerNowUs, type InputRecord } from './types.js';

export interface DropDuplicatesConfig {
  /** Recent seq numbers remembered per sensor. Default 1024. */
  readonly dedupWindowRecords?: number;
  readonly diagnostics?: AlignDiagnostics;
}

/** Drops a record whose (sensorId, seq) was already seen, and reports it as `align.duplicate`. */
export function dropDuplicates<P>(
  config: DropDuplicatesConfig,
  scheduler: SchedulerLike,
): MonoTypeOperatorFunction<InputRecord<P>> {
  return (source) =>
    new Observable<InputRecord<P>>((subscriber) => {
      const diagnostics = defaultDiagnostics(config.diagnostics);
      // Lateness and resets are other operators' business: only the seq window is used here.
      const tracker = new InputTracker({
        maxOutOfOrderUs: Number.POSITIVE_INFINITY,
        ...(config.dedupWindowRecords === undefined ? {} : { dedupWindowRecords: config.dedupWindowRecords }),
      });
      return source.subscribe({
        next(item) {
          if (tracker.classify(item.record, 0) === 'duplicate') {
            diagnostics.emit({ type: 'align.duplicate', input: item.input, record: item.record, atUs: schedulerNowUs(scheduler) });
          } else subscriber.next(item);
        },
        error: (err: unknown) => {
          subscriber.error(err);
        },
        complete: () => {
          subscriber.complete();
        },
      });
    });
}
