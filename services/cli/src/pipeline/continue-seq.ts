import type { SimRecord } from '@sensorfuse/simulator';

/**
 * Sequence numbers that go on across the embedded source's episodes. Each episode is a new
 * simulation whose sensors count `seq` from 0 again while capture times keep moving forward; the
 * aligner de-duplicates by (sensorId, seq), so without this every record of the next episode whose
 * seq the previous one had used was dropped as a duplicate — fusion stopped for a whole episode
 * after each loop. Every record (and a truth record's `forSeq`) of an episode is shifted by one
 * offset: one past the largest seq of all earlier episodes.
 */
export class SeqContinuation {
  private offset = 0;
  private next = 0;

  /** Call between episodes. */
  nextEpisode(): void {
    this.offset = this.next;
  }

  apply(record: SimRecord): SimRecord {
    const seq = record.seq + this.offset;
    if (seq + 1 > this.next) this.next = seq + 1;
    if (this.offset === 0) return record;
    return record.kind === 'truth' ? { ...record, seq, forSeq: record.forSeq + this.offset } : { ...record, seq };
  }
}
