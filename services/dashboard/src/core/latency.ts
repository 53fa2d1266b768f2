import type { LatencyHistogram } from './protocol.js';

/** Log-spaced bucket edges, milliseconds. */
export const LATENCY_EDGES_MS: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000];

/**
 * The last `capacity` latency samples (a ring, so memory is bounded) and their histogram and
 * nearest-rank percentiles.
 */
export class LatencyWindow {
  private readonly samplesMs: Float64Array;
  private next = 0;
  private size = 0;

  constructor(capacity: number) {
    this.samplesMs = new Float64Array(capacity);
  }

  add(latencyUs: number): void {
    this.samplesMs[this.next] = latencyUs / 1000;
    this.next = (this.next + 1) % this.samplesMs.length;
    this.size = Math.min(this.size + 1, this.samplesMs.length);
  }

  histogram(): LatencyHistogram {
    const counts = new Array<number>(LATENCY_EDGES_MS.length + 1).fill(0);
    const sorted = this.samplesMs.slice(0, this.size).sort();
    for (const ms of sorted) {
      let i = 0;
      while (i < LATENCY_EDGES_MS.length && ms > (LATENCY_EDGES_MS[i] ?? Number.POSITIVE_INFINITY)) i++;
      counts[i] = (counts[i] ?? 0) + 1;
    }
    const rank = (p: number): number | null => (this.size === 0 ? null : (sorted[Math.max(0, Math.ceil(p * this.size) - 1)] ?? null));
    return { edgesMs: LATENCY_EDGES_MS, counts, samples: this.size, p50Ms: rank(0.5), p99Ms: rank(0.99) };
  }
}
