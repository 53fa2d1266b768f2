import { describe, expect, it } from 'vitest';
import { RunStatus, countMatches } from './status.js';

describe('countMatches (greedy, nearest first, one-to-one, within 2 m)', () => {
  it('matches tracks to nearby truth and leaves far ones out', () => {
    // Distances: 0.5 m and 1.9 m match; the third pair is 10 m apart.
    expect(countMatches([{ x: 0, y: 0 }, { x: 10, y: 0 }, { x: 20, y: 0 }], [{ x: 0.5, y: 0 }, { x: 10, y: 1.9 }, { x: 30, y: 0 }], 2)).toBe(2);
  });
  it('gives one track to one truth object only', () => {
    expect(countMatches([{ x: 0, y: 0 }, { x: 1.5, y: 0 }], [{ x: 1, y: 0 }], 2)).toBe(1);
  });
});

describe('RunStatus precision and recall', () => {
  it('counts a fused frame against the truth of its sweep', () => {
    const status = new RunStatus();
    status.truth(1_000_000, [{ x: 0, y: 0 }, { x: 10, y: 0 }]);
    status.truth(1_100_000, [{ x: 0, y: 0 }]);
    // Sweep 1: one of two truth objects found, no false track → precision 1/1, recall 1/2.
    status.fused([{ x: 0.2, y: 0 }], [], 50_000, 1_000_000);
    expect(status.line()).toContain('precision 100% recall 50%');
    // Sweep 2: one false track far away, its truth object missed → overall precision 1/2, recall 1/3.
    status.fused([{ x: 40, y: 0 }], [], 50_000, 1_100_000);
    expect(status.summary()).toContain('precision 50% recall 33%');
  });
});
