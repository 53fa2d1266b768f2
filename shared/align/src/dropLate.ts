import { Observable, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { defaultDiagnostics, type AlignDiagnostics } from './diagnostics.js';
import { InputTracker } from './input-tracker.js';
import { rigTimeUs, schedulerNowUs, type ClockOffsets, type InputRecord } from './types.js';

export interface DropLateConfig {
  /** Per-input watermark = newest capture time − maxOutOfOrderUs; older records are late. */
  readonly maxOutOfOrderUs: number;
  /** A backward jump larger than this is a replay loop or clock reset: reset the input, report, pass it on. */
  readonly resetOnBackwardJumpUs?: number;
  readonly clockOffsetsUs?: ClockOffsets;
  readonly diagnostics?: AlignDiagnostics;
}

/**
 * Per-input watermark and lateness (Flink's allowed lateness with a side output): records older than
 * their input's watermark are reported as `align.late` (with the record) instead of passed on; a large
 * backward jump resets that input's watermark and is reported as `align.reset` instead of turning the
 * whole replayed loop into late data.
 */
export function dropLate<P>(config: DropLateConfig, scheduler: SchedulerLike): MonoTypeOperatorFunction<InputRecord<P>> {
  return (source) =>
    new Observable<InputRecord<P>>((subscriber) => {
      const diagnostics = defaultDiagnostics(config.diagnostics);
      const trackers = new Map<string, InputTracker>();
      return source.subscribe({
        next(item) {
          let tracker = trackers.get(item.input);
          if (tracker === undefined) {
            tracker = new InputTracker({
              maxOutOfOrderUs: config.maxOutOfOrderUs,
              ...(config.resetOnBackwardJumpUs === undefined ? {} : { resetOnBackwardJumpUs: config.resetOnBackwardJumpUs }),
              dedupWindowRecords: 0, // duplicates are dropDuplicates' business
            });
            trackers.set(item.input, tracker);
          }
          const record = item.record;
          const timeUs = rigTimeUs(record, config.clockOffsetsUs);
          const watermarkUs = tracker.lateBeforeUs();
          const verdict = tracker.classify(record, timeUs);
          const atUs = schedulerNowUs(scheduler);
          if (verdict === 'late') {
            diagnostics.emit({ type: 'align.late', input: item.input, record, reason: 'behind-watermark', watermarkUs, atUs });
            return;
          }
          if (verdict === 'reset') {
            diagnostics.emit({
              type: 'align.reset', input: item.input, sensorId: record.sensorId, fromUs: tracker.lastResetFromUs, toUs: timeUs, atUs,
            });
          }
          subscriber.next(item);
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
