import { solveAssignment } from '@sensorfuse/eval';
import { describe, expect, it } from 'vitest';
import { assignByComponents } from './assign.js';

// A seeded generator so a failure can be reproduced.
function lcg(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
}

function total(costs: readonly (readonly number[])[], pairs: readonly { row: number; col: number }[]): number {
  return pairs.reduce((s, p) => s + (costs[p.row]?.[p.col] ?? Number.NaN), 0);
}

describe('assignByComponents', () => {
  it('pairs as many allowed pairs at the same least cost as munkres on the whole matrix (gated random matrices)', () => {
    const rand = lcg(7);
    let checked = 0;
    for (let trial = 0; trial < 400; trial++) {
      const rows = 1 + Math.floor(rand() * 9);
      const cols = 1 + Math.floor(rand() * 9);
      const allowed = 0.15 + 0.5 * rand();
      const costs = Array.from({ length: rows }, () =>
        Array.from({ length: cols }, () => (rand() < allowed ? rand() * 10 : Number.POSITIVE_INFINITY)));
      const ours = assignByComponents(costs);
      const peer = solveAssignment(costs);
      expect(ours.length).toBe(peer.length);
      expect(total(costs, ours)).toBeCloseTo(total(costs, peer), 9);
      // A valid assignment: each row and column at most once, only allowed pairs.
      expect(new Set(ours.map((p) => p.row)).size).toBe(ours.length);
      expect(new Set(ours.map((p) => p.col)).size).toBe(ours.length);
      for (const p of ours) expect(Number.isFinite(costs[p.row]?.[p.col])).toBe(true);
      checked += peer.length;
    }
    expect(checked).toBeGreaterThan(400);
  });

  it('prefers more pairs over a cheaper single pair (hand case)', () => {
    // Row 0 could take column 0 at cost 0.1, but then row 1 (only column 0 allowed) is left out: two pairs win.
    const inf = Number.POSITIVE_INFINITY;
    expect(assignByComponents([[0.1, 5], [1, inf]])).toEqual([{ row: 0, col: 1 }, { row: 1, col: 0 }]);
    // 3 rows, 2 columns: the cheapest pairing of the two columns, rows 0 and 2.
    expect(assignByComponents([[1, 9], [4, 4], [9, 1]])).toEqual([{ row: 0, col: 0 }, { row: 2, col: 1 }]);
  });
});
