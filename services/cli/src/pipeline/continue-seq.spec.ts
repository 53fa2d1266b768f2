import type { SimRecord } from '@sensorfuse/simulator';
import { describe, expect, it } from 'vitest';
import { SeqContinuation } from './continue-seq.js';

const lidar = (seq: number): SimRecord => ({ kind: 'lidar', seq }) as unknown as SimRecord;
const truth = (seq: number, forSeq: number): SimRecord => ({ kind: 'truth', seq, forSeq }) as unknown as SimRecord;

describe('SeqContinuation', () => {
  it('leaves the first episode alone and shifts every later one past the largest seq used so far', () => {
    const c = new SeqContinuation();
    expect([0, 1, 2].map((s) => c.apply(lidar(s)).seq)).toEqual([0, 1, 2]);
    expect(c.apply(truth(7, 2))).toMatchObject({ seq: 7, forSeq: 2 });
    c.nextEpisode();
    // Largest seq of episode 1 was 7: episode 2 starts at 8, the truth's reference moves with its capture.
    expect([0, 1].map((s) => c.apply(lidar(s)).seq)).toEqual([8, 9]);
    expect(c.apply(truth(3, 1))).toMatchObject({ seq: 11, forSeq: 9 });
    c.nextEpisode();
    expect(c.apply(lidar(0)).seq).toBe(12);
  });
});
