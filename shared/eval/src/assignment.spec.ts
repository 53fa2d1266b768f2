import { describe, expect, it } from 'vitest';
import { solveAssignment } from './assignment.js';
import { InvalidEvalInputError } from './errors.js';

describe('solveAssignment', () => {
  it('finds the minimum-cost pairing of a 3×3 matrix', () => {
    // Rows: [4 1 3], [2 0 5], [3 2 2]. Enumerating the 6 permutations: (0→1, 1→0, 2→2) costs 1+2+2 = 5,
    // the minimum (next best 0→0,1→1,2→2 = 6).
    expect(solveAssignment([[4, 1, 3], [2, 0, 5], [3, 2, 2]])).toEqual([
      { row: 0, col: 1 },
      { row: 1, col: 0 },
      { row: 2, col: 2 },
    ]);
  });

  it('prefers more allowed pairs over a cheaper total, and drops forbidden (NaN) cells', () => {
    // Pairing row 0 with col 0 (cost 1) alone is cheaper than 0→1 + 1→0 (10 + 10), but leaves row 1
    // without a partner: the maximum number of pairs wins.
    expect(solveAssignment([[1, 10], [10, Number.NaN]])).toEqual([
      { row: 0, col: 1 },
      { row: 1, col: 0 },
    ]);
    expect(solveAssignment([[Number.NaN, Number.NaN], [Number.NaN, 3]])).toEqual([{ row: 1, col: 1 }]);
    expect(solveAssignment([[Number.NaN]])).toEqual([]);
  });

  it('handles rectangular and empty matrices and rejects ragged ones', () => {
    expect(solveAssignment([[5, 1, 9]])).toEqual([{ row: 0, col: 1 }]);
    expect(solveAssignment([[5], [1], [9]])).toEqual([{ row: 1, col: 0 }]);
    expect(solveAssignment([])).toEqual([]);
    expect(() => solveAssignment([[1, 2], [3]])).toThrow(InvalidEvalInputError);
  });
});
