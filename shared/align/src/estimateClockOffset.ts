import { Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { ClockOffsetEstimator, type ClockOffsetEstimate, type ClockOffsetEstimatorConfig } from './clock-offset.js';
import { schedulerNowUs, type InputRecord } from './types.js';

export interface SensorClockEstimate extends ClockOffsetEstimate {
  readonly sensorId: string;
}

/**
 * Per sensor, estimates arrival − capture (clock offset plus minimum transport delay) and its drift,
 * with arrival read from the injected scheduler. Emits an estimate every `reportEveryRecords` records
 * of a sensor (default 100); a configured offset for the aligner can be taken from it.
 */
export function estimateClockOffset<P>(
  config: ClockOffsetEstimatorConfig & { readonly reportEveryRecords?: number },
  scheduler: SchedulerLike,
): OperatorFunction<InputRecord<P>, SensorClockEstimate> {
  const every = config.reportEveryRecords ?? 100;
  return (source) =>
    new Observable<SensorClockEstimate>((subscriber) => {
      const estimators = new Map<string, ClockOffsetEstimator>();
      return source.subscribe({
        next({ record }) {
          let e = estimators.get(record.sensorId);
          if (e === undefined) {
            e = new ClockOffsetEstimator(config);
            estimators.set(record.sensorId, e);
          }
          const estimate = e.add(record.captureTimeUs, schedulerNowUs(scheduler));
          if (estimate.samples % every === 0) subscriber.next({ sensorId: record.sensorId, ...estimate });
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
