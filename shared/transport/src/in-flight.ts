import type { SubscribeOptions } from './types.js';

const DEFAULT_HIGH_WATER_MARK = 1000;
const DEFAULT_HIGH_WATER_MARK_BYTES = 64 * 1024 * 1024;

interface Pending {
  readonly offset: number;
  readonly bytes: number;
}

/**
 * Delivered-but-uncommitted records of one subscription, per partition. Both buses pause fetching
 * when it is full and resume when it has drained below the low-water marks.
 */
export class InFlightWindow {
  readonly highWaterMark: number;
  readonly lowWaterMark: number;
  readonly highWaterMarkBytes: number;
  readonly lowWaterMarkBytes: number;
  private readonly pending = new Map<string, Pending[]>();
  private count = 0;
  private bytes = 0;

  constructor(options: SubscribeOptions) {
    this.highWaterMark = Math.max(1, options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK);
    this.lowWaterMark = Math.min(options.lowWaterMark ?? Math.floor(this.highWaterMark / 2), this.highWaterMark - 1);
    this.highWaterMarkBytes = Math.max(1, options.highWaterMarkBytes ?? DEFAULT_HIGH_WATER_MARK_BYTES);
    this.lowWaterMarkBytes = Math.min(
      options.lowWaterMarkBytes ?? Math.floor(this.highWaterMarkBytes / 2),
      this.highWaterMarkBytes - 1,
    );
  }

  get size(): number {
    return this.count;
  }

  /** True when no further record may be delivered until commits drain the window. */
  isFull(): boolean {
    return this.count >= this.highWaterMark || this.bytes >= this.highWaterMarkBytes;
  }

  /** True when a paused consumer may resume. */
  isDrained(): boolean {
    return this.count <= this.lowWaterMark && this.bytes <= this.lowWaterMarkBytes;
  }

  add(topic: string, partition: number, offset: number, bytes: number): void {
    const key = `${topic}\u0000${String(partition)}`;
    let queue = this.pending.get(key);
    if (queue === undefined) {
      queue = [];
      this.pending.set(key, queue);
    }
    queue.push({ offset, bytes });
    this.count += 1;
    this.bytes += bytes;
  }

  /** A commit of `offset` releases it and every earlier record of the partition. */
  release(topic: string, partition: number, offset: number): void {
    const queue = this.pending.get(`${topic}\u0000${String(partition)}`);
    if (queue === undefined) return;
    let n = 0;
    while (n < queue.length && (queue[n]?.offset ?? Infinity) <= offset) {
      const entry = queue[n];
      if (entry !== undefined) {
        this.count -= 1;
        this.bytes -= entry.bytes;
      }
      n += 1;
    }
    if (n > 0) queue.splice(0, n);
  }

  /** The partition was revoked: its records will be delivered to its next owner. */
  dropPartition(topic: string, partition: number): void {
    const key = `${topic}\u0000${String(partition)}`;
    const queue = this.pending.get(key);
    if (queue === undefined) return;
    for (const entry of queue) {
      this.count -= 1;
      this.bytes -= entry.bytes;
    }
    this.pending.delete(key);
  }

  partitions(): { topic: string; partition: number }[] {
    return [...this.pending.keys()].map((key) => {
      const [topic = '', partition = '0'] = key.split('\u0000');
      return { topic, partition: Number(partition) };
    });
  }
}

/** Bytes a record occupies against max.message.bytes (key + value + headers, without batch overhead). */
export function recordBytes(
  key: string | Uint8Array | null,
  value: Uint8Array,
  headers: Readonly<Record<string, string | Uint8Array>> | undefined,
): number {
  let size = value.byteLength + (key === null ? 0 : typeof key === 'string' ? Buffer.byteLength(key) : key.byteLength);
  if (headers !== undefined) {
    for (const [name, v] of Object.entries(headers)) {
      size += Buffer.byteLength(name) + (typeof v === 'string' ? Buffer.byteLength(v) : v.byteLength);
    }
  }
  return size;
}
