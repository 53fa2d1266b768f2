/** A monotonic clock the replay schedules against (injected in tests). */
export interface MonotonicClock {
  /** Monotonic now in microseconds (arbitrary origin). */
  nowUs(): number;
  /** Resolves at or after `targetUs` on this clock. */
  sleepUntilUs(targetUs: number): Promise<void>;
}

/**
 * How the system clock waits for a due time.
 * - `'precise'`: `setTimeout` until `marginUs` before the due time, then spins on `performance.now()`
 *   in slices of ≤ 250 µs with an event-loop turn (`setImmediate`) before each, until it is reached.
 *   The thread never sleeps inside the margin — a sleeping thread (timer, `Atomics.wait`) is woken
 *   1–5 ms late at p99 on a shared VM — so it costs CPU: up to `marginUs` of busy wait per due time
 *   (see the recorder README). I/O, timers and Bus deliveries still run between the slices.
 * - `'auto'`: precise, but while the CPU is contended (the spin loses the processor on more than ~3 in
 *   10 recent waits) it waits with timers only for `backOffUs`, then tries precise again: a spinning
 *   process that other runnable processes preempt is later than one that sleeps and gets a wake-up
 *   boost from the scheduler.
 * - `'low-cpu'`: `setTimeout` alone (whole milliseconds, wakes late by the OS's wake-up latency).
 */
export type PacingMode = 'auto' | 'precise' | 'low-cpu';

/** Default precise margin: above this machine's p99 timer overshoot (~2.6 ms idle), see the README. */
export const DEFAULT_PACING_MARGIN_US = 3_000;

export interface SystemClockOptions {
  /** Default `'auto'`. */
  readonly pacing?: PacingMode;
  /** Precise and auto: how long before the due time the timer hands over to the busy wait (µs, default 3 000). */
  readonly marginUs?: number;
}

/** Longest synchronous spin between two event-loop turns in the precise wait (µs). */
const SPIN_SLICE_US = 250;
/** A gap this long between two clock reads of the spin (normally 5–20 µs) means the thread lost the CPU. */
const PREEMPTED_STEP_US = 500;

export interface ContentionGovernorOptions {
  /** Weight of the newest wait in the preempted fraction (default 1/64). */
  readonly alpha?: number;
  /**
   * Preempted fraction above which precise waiting stops (default 0.3: at load ~3 on this 2-core VM the
   * fraction moved between 0.01 and 0.28 from second to second; at 0.1 auto backed off 4–11 times a minute at load 1.3–3).
   */
  readonly threshold?: number;
  /** How long timers alone are used before precise waiting is tried again (µs, default 5 s). */
  readonly backOffUs?: number;
}

/**
 * Decides whether busy-waiting is worth it (pure: times are passed in). Keeps an exponentially weighted
 * fraction of recent precise waits whose spin was preempted; above the threshold it answers "timers
 * only" for `backOffUs`, then starts over from zero.
 */
export class ContentionGovernor {
  readonly alpha: number;
  readonly threshold: number;
  readonly backOffUs: number;
  #fraction = 0;
  #backOffUntilUs = -Infinity;
  /** How many times precise waiting was suspended. */
  backOffs = 0;

  constructor(options: ContentionGovernorOptions = {}) {
    this.alpha = options.alpha ?? 1 / 64;
    this.threshold = options.threshold ?? 0.3;
    this.backOffUs = options.backOffUs ?? 5_000_000;
  }

  get preemptedFraction(): number {
    return this.#fraction;
  }

  /** True when the next wait should busy-wait its margin. */
  precise(nowUs: number): boolean {
    return nowUs >= this.#backOffUntilUs;
  }

  /** Records one precise wait: whether its spin lost the CPU. */
  record(preempted: boolean, nowUs: number): void {
    this.#fraction = this.#fraction * (1 - this.alpha) + (preempted ? this.alpha : 0);
    if (this.#fraction > this.threshold) {
      this.#backOffUntilUs = nowUs + this.backOffUs;
      this.#fraction = 0;
      this.backOffs++;
    }
  }
}

let spinSink = 0;
/**
 * Busy work between two clock reads in the spin: Node 20's performance.now() allocates a heap number
 * per call, and reading it back to back (~10 M calls/s) fed the scavenger ~6 pauses/s during replay.
 */
function busy(iterations: number): void {
  let x = spinSink;
  for (let i = 0; i < iterations; i++) x = (x * 31 + i) | 0;
  spinSink = x;
}

const nowUsOf = (): number => Math.round(performance.now() * 1000);
const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function sleepTimersOnly(targetUs: number): Promise<void> {
  for (;;) {
    const remainingUs = targetUs - nowUsOf();
    if (remainingUs <= 0) return;
    await sleepMs(Math.max(1, Math.ceil(remainingUs / 1000)));
  }
}

/** The system clock's wait; `governor` (auto mode) sees every precise wait. */
export interface SystemClock extends MonotonicClock {
  readonly pacing: PacingMode;
  readonly governor: ContentionGovernor | undefined;
  /** Waits that busy-waited their margin and waits that used timers only (counted per wait). */
  readonly waits: { precise: number; timersOnly: number };
}

/**
 * Auto-mode waits in progress in this process. Several paced replays in one process (bench/pipeline
 * replays N rigs) would take turns spinning and keep a core busy between them: an auto wait that starts
 * while another is in progress uses timers only.
 */
let autoWaitsInProgress = 0;

/** The process's monotonic clock (`performance.now()`) with a precise, auto or low-CPU wait. */
export function systemClock(options: SystemClockOptions = {}, governorOptions?: ContentionGovernorOptions): SystemClock {
  const pacing = options.pacing ?? 'auto';
  const marginUs = options.marginUs ?? DEFAULT_PACING_MARGIN_US;
  if (!(marginUs >= 0) || !Number.isFinite(marginUs)) throw new RangeError(`marginUs must be a finite number >= 0, got ${String(marginUs)}`);
  const waits = { precise: 0, timersOnly: 0 };
  if (pacing === 'low-cpu') {
    return {
      pacing, governor: undefined, waits, nowUs: nowUsOf,
      sleepUntilUs: (targetUs) => {
        waits.timersOnly++;
        return sleepTimersOnly(targetUs);
      },
    };
  }
  const governor = pacing === 'auto' ? new ContentionGovernor(governorOptions) : undefined;
  const spin = { iterations: 64 };
  const preciseWait = async (targetUs: number): Promise<void> => {
    waits.precise++;
    let spun = false;
    let preempted = false;
    for (;;) {
      const remainingUs = targetUs - nowUsOf();
      if (remainingUs <= 0) break;
      // setTimeout counts whole ms and wakes late: sleep only while a whole ms fits before the margin
      const ms = Math.floor((remainingUs - marginUs) / 1000);
      if (ms >= 1) {
        await sleepMs(ms);
        continue;
      }
      // Inside the margin: one event-loop turn first (Bus deliveries and I/O queued before it run),
      // then a short synchronous spin. Slices instead of bare turns: a promise per turn at ~100 000
      // turns/s fed the scavenger, whose pauses then landed on due times.
      await turn();
      spun = true;
      let last = nowUsOf();
      const endUs = Math.min(targetUs, last + SPIN_SLICE_US);
      while (last < endUs) {
        busy(spin.iterations);
        const now = nowUsOf();
        // keep ~5–20 µs between clock reads whatever the CPU speed (a preempted step halves it, then it regrows)
        const stepUs = now - last;
        if (stepUs > PREEMPTED_STEP_US) preempted = true;
        if (stepUs < 5) spin.iterations = Math.min(1 << 20, spin.iterations * 2);
        else if (stepUs > 20) spin.iterations = Math.max(1, spin.iterations >> 1);
        last = now;
      }
    }
    if (spun) governor?.record(preempted, nowUsOf());
  };
  return {
    pacing,
    governor,
    waits,
    nowUs: nowUsOf,
    async sleepUntilUs(targetUs) {
      if (governor === undefined) return preciseWait(targetUs);
      autoWaitsInProgress++;
      try {
        if (autoWaitsInProgress > 1 || !governor.precise(nowUsOf())) {
          waits.timersOnly++;
          await sleepTimersOnly(targetUs);
        } else {
          await preciseWait(targetUs);
        }
      } finally {
        autoWaitsInProgress--;
      }
    },
  };
}

/** The auto system clock with the default margin (what paced replays use at rates up to 2). */
export const systemMonotonicClock: MonotonicClock = systemClock();

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
