import type { SensorRecord } from './types.js';

export interface BufferedRecord<P> {
  readonly record: SensorRecord<P>;
  /** Rig time (capture time plus the sensor's clock offset). */
  readonly timeUs: number;
  /** End of the covered interval (timeUs + durationUs). */
  readonly endUs: number;
  readonly bytes: number;
}

export interface BoundedBufferConfig {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

export type EvictionReason = 'max-records' | 'max-bytes';

/**
 * Records of one input sorted by rig time, capped in count and bytes. Overflow evicts the oldest
 * and hands it to `onEvict`, so memory stays bounded even when nothing ever consumes the records.
 */
export class BoundedBuffer<P> {
  readonly items: BufferedRecord<P>[] = [];
  private bytes = 0;

  constructor(
    private readonly config: BoundedBufferConfig,
    private readonly onEvict: (item: BufferedRecord<P>, reason: EvictionReason) => void,
  ) {}

  get size(): number {
    return this.items.length;
  }

  get byteSize(): number {
    return this.bytes;
  }

  insert(record: SensorRecord<P>, timeUs: number): void {
    const bytes = record.byteLength ?? 0;
    const item: BufferedRecord<P> = { record, timeUs, endUs: timeUs + (record.durationUs ?? 0), bytes };
    const items = this.items;
    let i = items.length;
    // Records arrive nearly in order: walk back from the end.
    while (i > 0 && (items[i - 1]?.timeUs ?? 0) > timeUs) i -= 1;
    if (i === items.length) items.push(item);
    else items.splice(i, 0, item);
    this.bytes += bytes;
    while (items.length > this.config.maxRecords) this.evictOldest('max-records');
    while (this.bytes > this.config.maxBytes && items.length > 0) this.evictOldest('max-bytes');
  }

  /** Removes records whose covered interval ends before `us`; returns how many. */
  pruneEndingBefore(us: number): number {
    const items = this.items;
    let n = 0;
    while (n < items.length && (items[n]?.endUs ?? 0) < us) {
      this.bytes -= items[n]?.bytes ?? 0;
      n += 1;
    }
    if (n > 0) items.splice(0, n);
    return n;
  }

  clear(): void {
    this.items.length = 0;
    this.bytes = 0;
  }

  /** Index of the first record with timeUs ≥ us (items.length when none). */
  lowerBound(us: number): number {
    const items = this.items;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((items[mid]?.timeUs ?? 0) < us) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private evictOldest(reason: EvictionReason): void {
    const item = this.items.shift();
    if (item === undefined) return;
    this.bytes -= item.bytes;
    this.onEvict(item, reason);
  }
}
