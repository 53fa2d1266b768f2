import { Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { defaultDiagnostics } from './diagnostics.js';
import { EventTimeClock } from './event-time-clock.js';
import { PivotAligner, type AlignedFrame, type PivotAlignConfig, type TimerPort } from './pivot-aligner.js';
import { rigTimeUs, type InputRecord } from './types.js';

/** Processing-time clock and timers over an RxJS scheduler (whose unit is the millisecond). */
export function timerPortFor(scheduler: SchedulerLike, pending: Set<Subscription>): TimerPort {
  return {
    nowUs: () => Math.round(scheduler.now() * 1000),
    after(delayUs, fn) {
      const state: { ran: boolean; sub?: Subscription } = { ran: false };
      const sub = scheduler.schedule(() => {
        state.ran = true;
        // An executed action is not closed by RxJS (it could reschedule): forget it here.
        if (state.sub !== undefined) pending.delete(state.sub);
        fn();
      }, delayUs / 1000);
      if (!state.ran) {
        state.sub = sub;
        pending.add(sub);
      }
      return () => {
        pending.delete(sub);
        sub.unsubscribe();
      };
    },
  };
}

/**
 * Pivot-policy alignment: every record of `config.pivot` opens a collector at its capture time; each
 * other input contributes its nearest record, all overlapping records, or a value interpolated at the
 * pivot time, inside its match window around pivot + offsetUs. A collector closes when every input's
 * watermark has passed what it needs, or on the input's timeout or idleness, and is emitted (in pivot
 * order) as an AlignedFrame with a presence map. All state lives in the subscription.
 *
 * With `config.time: 'event'` timeouts and idleness are measured in event time (see PivotAlignConfig):
 * the scheduler is not read, the aligner starts at the first record's rig time, and the frames'
 * `openedAtUs` / `emittedAtUs` are event times.
 */
export function alignByPivot<P>(
  config: PivotAlignConfig<P>,
  scheduler: SchedulerLike,
): OperatorFunction<InputRecord<P>, AlignedFrame<P>> {
  return (source) =>
    new Observable<AlignedFrame<P>>((subscriber) => {
      const timers = new Set<Subscription>();
      const create = (port: TimerPort) => new PivotAligner<P>(config, port, defaultDiagnostics(config.diagnostics), (frame) => {
        subscriber.next(frame);
      });
      // Event time has no "now" before the first record: that aligner is made when it arrives.
      let aligner = config.time === 'event' ? undefined : create(timerPortFor(scheduler, timers));
      const subscription = source.subscribe({
        next({ input, record }) {
          try {
            aligner ??= create(new EventTimeClock(rigTimeUs(record, config.clockOffsetsUs)));
            aligner.push(input, record);
          } catch (err: unknown) {
            subscriber.error(err);
          }
        },
        error: (err: unknown) => {
          subscriber.error(err);
        },
        complete: () => {
          aligner?.finish();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        aligner?.dispose();
        for (const t of timers) t.unsubscribe();
        timers.clear();
      };
    });
}
