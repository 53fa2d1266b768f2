/** A monotonic clock the replay schedules against (injected in tests). */
export interface MonotonicClock {
  /** Monotonic now in microseconds (arbitrary origin). */
  nowUs(): number;
  /** Resolves at or after `targetUs` on this clock. */
  sleepUntilUs(targetUs: number): Promise<void>;
}

/** performance.now(): a timer for the bulk of the wait, then short yields for the last 2 ms (timers fire late by ~1 ms). */
export const systemMonotonicClock: MonotonicClock = {
  nowUs: () => Math.round(performance.now() * 1000),
  async sleepUntilUs(targetUs) {
    for (;;) {
      const remainingUs = targetUs - Math.round(performance.now() * 1000);
      if (remainingUs <= 0) return;
      if (remainingUs > 2_000) await new Promise((r) => setTimeout(r, Math.floor((remainingUs - 1_500) / 1000)));
      else await new Promise((r) => setImmediate(r));
    }
  },
};

export interface PacerParams {
  /** Playback speed: 2 = twice as fast. */
  readonly rate: number;
  /**
   * When the replay falls this far behind schedule (a stalled publish), it re-anchors the timeline at
   * the current message instead of sending the backlog in a burst.
   */
  readonly maxLagUs: number;
}

export interface PaceResult {
  /** When the message was due on the monotonic clock. */
  readonly dueUs: number;
  /** How late it actually went out (≥ 0 unless the clock overshoots backwards). */
  readonly lagUs: number;
  readonly reanchored: boolean;
}

/**
 * Schedules messages against absolute due times (anchor + (logTime − anchorLog) / rate), so sleep
 * overshoot never accumulates: each wait is computed from the anchor, not from the previous send.
 */
export class Pacer {
  #anchorLogUs: number | undefined;
  #anchorMonoUs = 0;
  reanchors = 0;

  constructor(readonly params: PacerParams, readonly clock: MonotonicClock) {
    if (!(params.rate > 0) || !Number.isFinite(params.rate)) throw new RangeError(`rate must be a positive number, got ${params.rate}`);
  }

  /** Starts the timeline at `logTimeUs` now (start, seek, loop). */
  anchor(logTimeUs: number): void {
    this.#anchorLogUs = logTimeUs;
    this.#anchorMonoUs = this.clock.nowUs();
  }

  get anchored(): boolean {
    return this.#anchorLogUs !== undefined;
  }

  async wait(logTimeUs: number): Promise<PaceResult> {
    if (this.#anchorLogUs === undefined) this.anchor(logTimeUs);
    let due = this.#anchorMonoUs + ((logTimeUs - (this.#anchorLogUs ?? logTimeUs)) / this.params.rate);
    let now = this.clock.nowUs();
    let reanchored = false;
    if (now - due > this.params.maxLagUs) {
      this.#anchorLogUs = logTimeUs;
      this.#anchorMonoUs = now;
      due = now;
      this.reanchors++;
      reanchored = true;
    } else if (now < due) {
      await this.clock.sleepUntilUs(due);
      now = this.clock.nowUs();
    }
    return { dueUs: due, lagUs: now - due, reanchored };
  }
}
