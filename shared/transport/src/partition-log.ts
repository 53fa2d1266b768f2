/**
 * One partition of a MemoryBus topic: an append-only log whose oldest records can be deleted
 * (retention), addressed by Kafka-style offsets that never change. Deleting from the front moves a
 * head index; the array is compacted only when more than half of it is dead, so a trim is O(1)
 * amortised per record.
 */
export interface LogEntry<T> {
  readonly offset: number;
  readonly bytes: number;
  readonly timestampUs: number;
  readonly record: T;
}

export class PartitionLog<T> {
  /** Slots before `head` are cleared on delete so their payloads can be collected at once. */
  private entries: (LogEntry<T> | undefined)[] = [];
  private head = 0;
  private retainedBytes = 0;
  /** Offset of the oldest retained record (Kafka's log start offset). */
  private start = 0;

  get startOffset(): number {
    return this.start;
  }

  /** Offset the next appended record gets (Kafka's log end offset). */
  get endOffset(): number {
    return this.start + this.entries.length - this.head;
  }

  get bytes(): number {
    return this.retainedBytes;
  }

  /** The oldest retained entry, if any. */
  first(): LogEntry<T> | undefined {
    return this.entries[this.head];
  }

  append(record: T, bytes: number, timestampUs: number): LogEntry<T> {
    const entry: LogEntry<T> = { offset: this.endOffset, bytes, timestampUs, record };
    this.entries.push(entry);
    this.retainedBytes += bytes;
    return entry;
  }

  /** The entry at `offset`, or undefined when it was deleted or is not written yet. */
  at(offset: number): LogEntry<T> | undefined {
    if (offset < this.start) return undefined;
    return this.entries[this.head + offset - this.start];
  }

  /** Delete the oldest entry; returns it. */
  shift(): LogEntry<T> | undefined {
    const entry = this.entries[this.head];
    if (entry === undefined) return undefined;
    this.entries[this.head] = undefined;
    this.head += 1;
    this.start += 1;
    this.retainedBytes -= entry.bytes;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return entry;
  }
}
