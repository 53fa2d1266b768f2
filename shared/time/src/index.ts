/**
 * One clock type everywhere: integer microseconds since the Unix epoch, held in a JS number
 * (exact in a double until the year 2255). Names that carry it end in `Us`.
 */
export type Micros = number;

export const US_PER_MS = 1_000;
export const US_PER_S = 1_000_000;

const originUs = Math.round(performance.timeOrigin * US_PER_MS);

/** Wall-clock now in integer microseconds, from the monotonic high-resolution clock. */
export function nowUs(): Micros {
  return originUs + Math.round(performance.now() * US_PER_MS);
}

export function msToUs(ms: number): Micros {
  return Math.round(ms * US_PER_MS);
}

export function secondsToUs(seconds: number): Micros {
  return Math.round(seconds * US_PER_S);
}

export function usToSeconds(us: Micros): number {
  return us / US_PER_S;
}

/** Earliest and latest capture times the pipeline accepts: 2000-01-01 .. 2100-01-01. */
export const MIN_PLAUSIBLE_TIME_US: Micros = 946_684_800_000_000;
export const MAX_PLAUSIBLE_TIME_US: Micros = 4_102_444_800_000_000;

/** True for an integer microsecond timestamp inside the plausible range. */
export function isPlausibleTimeUs(us: number): boolean {
  return Number.isSafeInteger(us) && us >= MIN_PLAUSIBLE_TIME_US && us < MAX_PLAUSIBLE_TIME_US;
}
