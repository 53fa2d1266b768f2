import type { SensorRecord } from './types.js';

/** Per-input stream settings shared by every policy. */
export interface StreamConfig {
  /** Allowed out-of-orderness: watermark = newest capture time − maxOutOfOrderUs. */
  readonly maxOutOfOrderUs?: number;
  /**
   * Declared lower bound on the interval between consecutive records of an in-order input
   * (maxOutOfOrderUs = 0). Lets the watermark run ahead to newest + minIntervalUs, so a frame can
   * close on the record that arrives instead of waiting for the next one.
   */
  readonly minIntervalUs?: number;
  /** A record older than the newest by more than this is a replay loop or clock reset: reset, not late. */
  readonly resetOnBackwardJumpUs?: number;
  /** How many recent seq numbers per sensor are remembered for de-duplication (0: no de-duplication). */
  readonly dedupWindowRecords?: number;
}

export type Verdict = 'accepted' | 'duplicate' | 'late' | 'reset';

const DEFAULT_DEDUP_WINDOW = 1024;

/**
 * Remembers the last N seq numbers of one sensor with the capture time each came with. A duplicate is
 * a seq seen before with the same capture time (a redelivery); the same seq with another capture time
 * is a counter that started again (a device reboot, a simulator episode) and is accepted.
 */
class SeqWindow {
  private readonly seen = new Map<number, number>();
  private readonly ring: number[] = [];
  private next = 0;
  constructor(private readonly size: number) {}
  /** True when (seq, captureTimeUs) was seen before; otherwise remembers it. */
  checkAndAdd(seq: number, captureTimeUs: number): boolean {
    const seenAtUs = this.seen.get(seq);
    if (seenAtUs === captureTimeUs) return true;
    this.seen.set(seq, captureTimeUs);
    if (seenAtUs !== undefined) return false; // restarted counter: the ring already holds this seq
    if (this.ring.length < this.size) this.ring.push(seq);
    else {
      const old = this.ring[this.next];
      if (old !== undefined) this.seen.delete(old);
      this.ring[this.next] = seq;
      this.next = (this.next + 1) % this.size;
    }
    return false;
  }
}

/**
 * Pure per-input bookkeeping: de-duplication, backward-jump reset, watermark and lateness.
 * `classify` decides what happens to a record and updates the state for accepted ones.
 */
export class InputTracker {
  /** Newest accepted rig time; -Infinity before the first record and after nothing arrived. */
  newestUs = Number.NEGATIVE_INFINITY;
  /** Set by the last `classify` that returned 'reset'. */
  lastResetFromUs = Number.NEGATIVE_INFINITY;
  private readonly maxOutOfOrderUs: number;
  private readonly aheadUs: number;
  private readonly resetUs: number;
  private readonly dedupSize: number;
  private readonly seqs = new Map<string, SeqWindow>();

  constructor(config: StreamConfig) {
    this.maxOutOfOrderUs = config.maxOutOfOrderUs ?? 0;
    // A declared interval only says something about future records when the input is in order.
    this.aheadUs = this.maxOutOfOrderUs === 0 ? (config.minIntervalUs ?? 0) : 0;
    this.resetUs = config.resetOnBackwardJumpUs ?? Number.POSITIVE_INFINITY;
    this.dedupSize = config.dedupWindowRecords ?? DEFAULT_DEDUP_WINDOW;
  }

  get resetThresholdUs(): number {
    return this.resetUs;
  }

  /** Every future (non-late) record of this input has a rig time ≥ this. */
  watermarkUs(): number {
    return this.newestUs - this.maxOutOfOrderUs + this.aheadUs;
  }

  /** Records older than this are late. (The declared interval does not make a record late.) */
  lateBeforeUs(): number {
    return this.newestUs - this.maxOutOfOrderUs;
  }

  classify(record: SensorRecord, timeUs: number): Verdict {
    if (timeUs < this.newestUs - this.resetUs) {
      this.lastResetFromUs = this.newestUs;
      this.newestUs = timeUs;
      this.seqs.clear(); // a replayed loop repeats its seq numbers
      this.remember(record);
      return 'reset';
    }
    if (this.remember(record)) return 'duplicate';
    if (timeUs < this.lateBeforeUs()) return 'late';
    if (timeUs > this.newestUs) this.newestUs = timeUs;
    return 'accepted';
  }

  /** True when (sensorId, seq) was already seen with this capture time. */
  private remember(record: SensorRecord): boolean {
    if (this.dedupSize === 0) return false;
    let w = this.seqs.get(record.sensorId);
    if (w === undefined) {
      w = new SeqWindow(this.dedupSize);
      this.seqs.set(record.sensorId, w);
    }
    return w.checkAndAdd(record.seq, record.captureTimeUs);
  }
}
