import { Observable, type MonoTypeOperatorFunction, type SchedulerLike } from 'rxjs';
import { defaultDiagnostics, type AlignDiagnostics } from './diagnostics.js';
import { InputTracker, type StreamConfig } from './input-tracker.js';
import { rigTimeUs, schedulerNowUs, type ClockOffsets, type InputRecord } from './types.js';

export interface MergeInputConfig extends StreamConfig {
  readonly name: string;
  /** Processing time of silence after which this input stops holding the merged watermark back. */
  readonly idleTimeoutUs?: number;
}

export interface MergeInCaptureOrderConfig {
  readonly inputs: readonly MergeInputConfig[];
  /** Records held for reordering; overflow releases the oldest early and reports it. Default 4096. */
  readonly maxBufferedRecords?: number;
  readonly clockOffsetsUs?: ClockOffsets;
  readonly diagnostics?: AlignDiagnostics;
}

interface Held<P> {
  readonly item: InputRecord<P>;
  readonly timeUs: number;
  readonly inputIndex: number;
}

function before<P>(a: Held<P>, b: Held<P>): boolean {
  if (a.timeUs !== b.timeUs) return a.timeUs < b.timeUs;
  if (a.inputIndex !== b.inputIndex) return a.inputIndex < b.inputIndex;
  return a.item.record.seq < b.item.record.seq;
}

/**
 * Merges several inputs into one stream in capture-time order (ties: input order, then seq).
 * A record is released once every active input's watermark is past it; idle inputs stop holding
 * the merge back. Records that arrive after later ones were released go to the late side output.
 */
export function mergeInCaptureOrder<P>(
  config: MergeInCaptureOrderConfig,
  scheduler: SchedulerLike,
): MonoTypeOperatorFunction<InputRecord<P>> {
  const indexOf = new Map(config.inputs.map((c, i) => [c.name, i]));
  const maxHeld = config.maxBufferedRecords ?? 4096;
  return (source) =>
    new Observable<InputRecord<P>>((subscriber) => {
      const diagnostics = defaultDiagnostics(config.diagnostics);
      const trackers = config.inputs.map((c) => new InputTracker(c));
      const idle = config.inputs.map(() => false);
      const lastArrivalUs = config.inputs.map(() => schedulerNowUs(scheduler));
      const idleTimers = config.inputs.map((): { unsubscribe(): void } | undefined => undefined);
      const held: Held<P>[] = [];
      let releasedUpToUs = Number.NEGATIVE_INFINITY;

      const release = (): void => {
        let frontierUs = Number.POSITIVE_INFINITY;
        trackers.forEach((t, i) => {
          if (!idle[i]) frontierUs = Math.min(frontierUs, t.watermarkUs());
        });
        let n = 0;
        while (n < held.length && (held[n]?.timeUs ?? 0) < frontierUs) n += 1;
        if (n === 0) return;
        const out = held.splice(0, n);
        for (const h of out) {
          releasedUpToUs = Math.max(releasedUpToUs, h.timeUs);
          subscriber.next(h.item);
        }
      };

      const armIdle = (i: number): void => {
        const idleUs = config.inputs[i]?.idleTimeoutUs;
        if (idleUs === undefined || idleTimers[i] !== undefined) return;
        const delayUs = Math.max(0, (lastArrivalUs[i] ?? 0) + idleUs - schedulerNowUs(scheduler));
        idleTimers[i] = scheduler.schedule(() => {
          idleTimers[i] = undefined;
          const nowUs = schedulerNowUs(scheduler);
          const silentUs = nowUs - (lastArrivalUs[i] ?? 0);
          if (silentUs < idleUs) {
            armIdle(i);
            return;
          }
          idle[i] = true;
          diagnostics.emit({ type: 'align.idle', input: config.inputs[i]?.name ?? String(i), silentUs, atUs: nowUs });
          release();
        }, delayUs / 1000);
      };
      config.inputs.forEach((_, i) => {
        armIdle(i);
      });

      const subscription = source.subscribe({
        next(item) {
          const i = indexOf.get(item.input);
          const tracker = i === undefined ? undefined : trackers[i];
          if (i === undefined || tracker === undefined) {
            subscriber.error(new RangeError(`mergeInCaptureOrder: unknown input "${item.input}"`));
            return;
          }
          const atUs = schedulerNowUs(scheduler);
          lastArrivalUs[i] = atUs;
          if (idle[i] === true) {
            idle[i] = false;
            diagnostics.emit({ type: 'align.active', input: item.input, atUs });
          }
          armIdle(i);
          const { record } = item;
          const timeUs = rigTimeUs(record, config.clockOffsetsUs);
          const verdict = tracker.classify(record, timeUs);
          if (verdict === 'duplicate') {
            diagnostics.emit({ type: 'align.duplicate', input: item.input, record, atUs });
            return;
          }
          if (verdict === 'reset') {
            diagnostics.emit({
              type: 'align.reset', input: item.input, sensorId: record.sensorId, fromUs: tracker.lastResetFromUs, toUs: timeUs, atUs,
            });
            // Release what is held from before the jump, then start ordering afresh.
            for (const h of held.splice(0)) subscriber.next(h.item);
            releasedUpToUs = Number.NEGATIVE_INFINITY;
          } else if (verdict === 'late' || timeUs < releasedUpToUs) {
            diagnostics.emit({
              type: 'align.late',
              input: item.input,
              record,
              reason: verdict === 'late' ? 'behind-watermark' : 'after-release',
              watermarkUs: verdict === 'late' ? tracker.lateBeforeUs() : releasedUpToUs,
              atUs,
            });
            return;
          }
          const h: Held<P> = { item, timeUs, inputIndex: i };
          let k = held.length;
          while (k > 0 && before(h, held[k - 1] as Held<P>)) k -= 1;
          held.splice(k, 0, h);
          if (held.length > maxHeld) {
            const oldest = held.shift();
            if (oldest !== undefined) {
              diagnostics.emit({ type: 'align.evicted', input: oldest.item.input, reason: 'max-records', record: oldest.item.record, atUs });
              releasedUpToUs = Math.max(releasedUpToUs, oldest.timeUs);
              subscriber.next(oldest.item); // released early, out of the watermark's protection
            }
          }
          release();
        },
        error: (err: unknown) => {
          subscriber.error(err);
        },
        complete: () => {
          for (const h of held.splice(0)) subscriber.next(h.item);
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        for (const t of idleTimers) t?.unsubscribe();
        held.length = 0;
      };
    });
}
