import type { TimerPort } from './pivot-aligner.js';

interface EventTimer {
  readonly dueUs: number;
  readonly order: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A TimerPort whose clock is event time: it stands still until `advanceTo` moves it (never backwards)
 * and then runs the timers that fell due, in due order (ties in arming order). The pivot aligner's
 * `time: 'event'` mode advances it from the inputs' capture times, so timeouts and idleness are
 * measured in event time and the frames depend on the records only, not on when they were processed.
 */
export class EventTimeClock implements TimerPort {
  private current: number;
  private readonly timers: EventTimer[] = [];
  private armed = 0;
  private running = false;

  constructor(startUs: number) {
    this.current = startUs;
  }

  nowUs(): number {
    return this.current;
  }

  after(delayUs: number, fn: () => void): () => void {
    const timer: EventTimer = { dueUs: this.current + Math.max(0, delayUs), order: this.armed++, fn, cancelled: false };
    // Kept sorted by (due, order): few timers are armed at once (one per open frame and input).
    let i = this.timers.length;
    while (i > 0 && (this.timers[i - 1]?.dueUs ?? 0) > timer.dueUs) i -= 1;
    this.timers.splice(i, 0, timer);
    return () => {
      timer.cancelled = true;
    };
  }

  /** Moves the clock to `timeUs` (ignored when not ahead) and runs every timer due by then. */
  advanceTo(timeUs: number): void {
    if (!(timeUs > this.current)) return;
    if (this.running) {
      // A timer callback advanced the clock again: the outer loop picks the new time up.
      this.current = timeUs;
      return;
    }
    this.running = true;
    try {
      for (;;) {
        const next = this.timers[0];
        if (next === undefined || next.dueUs > timeUs) break;
        this.timers.shift();
        if (next.cancelled) continue;
        this.current = Math.max(this.current, next.dueUs);
        next.fn();
      }
      this.current = Math.max(this.current, timeUs);
    } finally {
      this.running = false;
    }
  }

  /** Timers armed and not yet run or cancelled (tests). */
  pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
