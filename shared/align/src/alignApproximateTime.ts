import { Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { ApproximateTimeMatcher } from './approximate-time-matcher.js';
import { defaultDiagnostics, type AlignDiagnostics } from './diagnostics.js';
import { InputTracker } from './input-tracker.js';
import { rigTimeUs, schedulerNowUs, type ClockOffsets, type InputRecord, type SensorRecord } from './types.js';

export interface ApproximateInputConfig {
  readonly name: string;
  /** Records of this input are at least this far apart; lets a set be emitted without waiting (ROS setInterMessageLowerBound). */
  readonly interMessageLowerBoundUs?: number;
}

export interface ApproximateTimeConfig {
  readonly inputs: readonly ApproximateInputConfig[];
  /** Records held per input (ROS queue_size). Overflow drops the oldest and reports it. Default 64. */
  readonly queueSize?: number;
  /** Widest set ever emitted. Default unbounded. */
  readonly maxIntervalUs?: number;
  /** ROS age_penalty (default 0.1): a later candidate must be tighter by this factor to win. */
  readonly agePenalty?: number;
  /** A backward jump larger than this resets that input instead of blocking (replay loop). Default 1 s. */
  readonly resetOnBackwardJumpUs?: number;
  readonly clockOffsetsUs?: ClockOffsets;
  readonly diagnostics?: AlignDiagnostics;
}

export interface ApproximateSetMember<P> {
  readonly record: SensorRecord<P>;
  readonly timeUs: number;
}

/** One matched set: exactly one record per input. */
export interface ApproximateSet<P> {
  readonly members: Readonly<Record<string, ApproximateSetMember<P>>>;
  readonly startUs: number;
  readonly endUs: number;
  readonly spanUs: number;
}

interface Item<P> {
  readonly timeUs: number;
  readonly record: SensorRecord<P>;
}

/**
 * Approximate-time alignment with the semantics of ROS message_filters ApproximateTime, plus what
 * ROS lacks: duplicates and out-of-order records are reported instead of corrupting the search,
 * every discarded record is reported (queue overflow included), and a replay loop resets the input
 * instead of blocking it. Records of one input must arrive in capture order; put
 * `mergeInCaptureOrder` in front for inputs that may not.
 */
export function alignApproximateTime<P>(
  config: ApproximateTimeConfig,
  scheduler: SchedulerLike,
): OperatorFunction<InputRecord<P>, ApproximateSet<P>> {
  const names = config.inputs.map((i) => i.name);
  if (names.length < 2) throw new RangeError(`alignApproximateTime needs at least 2 inputs, got ${names.length}`);
  const indexOf = new Map(names.map((name, i) => [name, i]));
  return (source) =>
    new Observable<ApproximateSet<P>>((subscriber) => {
      const diagnostics = defaultDiagnostics(config.diagnostics);
      const trackers = config.inputs.map(
        () =>
          new InputTracker({
            maxOutOfOrderUs: 0,
            resetOnBackwardJumpUs: config.resetOnBackwardJumpUs ?? 1_000_000,
          }),
      );
      const matcher = new ApproximateTimeMatcher<Item<P>>(
        {
          inputCount: names.length,
          queueSize: config.queueSize ?? 64,
          maxIntervalUs: config.maxIntervalUs ?? Number.POSITIVE_INFINITY,
          agePenalty: config.agePenalty ?? 0.1,
          interMessageLowerBoundsUs: config.inputs.map((i) => i.interMessageLowerBoundUs ?? 0),
        },
        {
          emit(set) {
            const members: Record<string, ApproximateSetMember<P>> = {};
            let startUs = Number.POSITIVE_INFINITY;
            let endUs = Number.NEGATIVE_INFINITY;
            set.forEach((item, i) => {
              members[names[i] ?? String(i)] = { record: item.record, timeUs: item.timeUs };
              startUs = Math.min(startUs, item.timeUs);
              endUs = Math.max(endUs, item.timeUs);
            });
            subscriber.next({ members, startUs, endUs, spanUs: endUs - startUs });
          },
          drop(input, item, reason) {
            const name = names[input] ?? String(input);
            const atUs = schedulerNowUs(scheduler);
            if (reason === 'queue-size') {
              diagnostics.emit({ type: 'align.evicted', input: name, reason, record: item.record, atUs });
            } else {
              diagnostics.emit({ type: 'align.dropped', input: name, reason, record: item.record, atUs });
            }
          },
        },
      );
      return source.subscribe({
        next({ input, record }) {
          const index = indexOf.get(input);
          const tracker = index === undefined ? undefined : trackers[index];
          if (index === undefined || tracker === undefined) {
            subscriber.error(new RangeError(`alignApproximateTime: unknown input "${input}", expected one of ${names.join(', ')}`));
            return;
          }
          const timeUs = rigTimeUs(record, config.clockOffsetsUs);
          const verdict = tracker.classify(record, timeUs);
          const atUs = schedulerNowUs(scheduler);
          switch (verdict) {
            case 'duplicate':
              diagnostics.emit({ type: 'align.duplicate', input, record, atUs });
              return;
            case 'late':
              diagnostics.emit({
                type: 'align.late',
                input,
                record,
                reason: 'behind-watermark',
                watermarkUs: tracker.watermarkUs(),
                atUs,
              });
              return;
            case 'reset':
              diagnostics.emit({
                type: 'align.reset',
                input,
                sensorId: record.sensorId,
                fromUs: tracker.lastResetFromUs,
                toUs: timeUs,
                atUs,
              });
              matcher.resetInput(index);
              break;
            case 'accepted':
              break;
          }
          matcher.add(index, { timeUs, record });
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
