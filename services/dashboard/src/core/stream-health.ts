import type { StreamHealth } from './protocol.js';
import { DEAD_LETTER_SUFFIX } from '@sensorfuse/transport';

export interface StreamHealthOptions {
  /** Width of one rate bucket, microseconds. */
  readonly bucketUs: number;
  /** Number of buckets in the rate window (rate = records in the full buckets / their span). */
  readonly buckets: number;
  /** A stream without a record for this long is shown as absent. */
  readonly presenceTimeoutUs: number;
}

interface Counter {
  total: number;
  lastUs: number | null;
  lagUs: number | null;
  /** Ring of per-bucket counts; bucketIndex[i] is the absolute bucket number stored in slot i. */
  readonly counts: Int32Array;
  readonly bucketIndex: Float64Array;
}

/** Per-topic counts, rates and presence; `<topic>.dlq` records count as that topic's dead letters. */
export class StreamHealthTracker {
  private readonly counters = new Map<string, Counter>();
  private readonly deadLetters = new Map<string, number>();

  constructor(private readonly options: StreamHealthOptions) {}

  /** Topics listed here appear (as absent) before their first record. */
  expect(topics: readonly string[]): void {
    for (const topic of topics) this.counter(topic);
  }

  /** One record received at `nowUs`; `logTimeUs` is its broker (log-append) time, for the lag. */
  record(topic: string, nowUs: number, logTimeUs?: number): void {
    if (topic.endsWith(DEAD_LETTER_SUFFIX)) {
      const source = topic.slice(0, -DEAD_LETTER_SUFFIX.length);
      this.deadLetters.set(source, (this.deadLetters.get(source) ?? 0) + 1);
      this.counter(source);
      return;
    }
    const c = this.counter(topic);
    c.total++;
    c.lastUs = nowUs;
    if (logTimeUs !== undefined) c.lagUs = Math.max(0, nowUs - logTimeUs);
    const bucket = Math.floor(nowUs / this.options.bucketUs);
    const slot = bucket % this.options.buckets;
    if (c.bucketIndex[slot] !== bucket) {
      c.bucketIndex[slot] = bucket;
      c.counts[slot] = 0;
    }
    c.counts[slot] = (c.counts[slot] ?? 0) + 1;
  }

  snapshot(nowUs: number): StreamHealth[] {
    const current = Math.floor(nowUs / this.options.bucketUs);
    // The current bucket is partial: the rate uses the `buckets - 1` full buckets before it.
    const full = this.options.buckets - 1;
    const out: StreamHealth[] = [];
    for (const [topic, c] of [...this.counters].sort(([a], [b]) => a.localeCompare(b))) {
      let n = 0;
      for (let slot = 0; slot < this.options.buckets; slot++) {
        const b = c.bucketIndex[slot] ?? -1;
        if (b < current && b >= current - full) n += c.counts[slot] ?? 0;
      }
      const ageUs = c.lastUs === null ? null : nowUs - c.lastUs;
      out.push({
        topic,
        rateHz: n / ((full * this.options.bucketUs) / 1e6),
        total: c.total,
        present: ageUs !== null && ageUs <= this.options.presenceTimeoutUs,
        ageUs,
        deadLetters: this.deadLetters.get(topic) ?? 0,
        lagUs: c.lagUs,
      });
    }
    return out;
  }

  private counter(topic: string): Counter {
    let c = this.counters.get(topic);
    if (c === undefined) {
      c = { total: 0, lastUs: null, lagUs: null, counts: new Int32Array(this.options.buckets), bucketIndex: new Float64Array(this.options.buckets).fill(-1) };
      this.counters.set(topic, c);
    }
    return c;
  }
}
