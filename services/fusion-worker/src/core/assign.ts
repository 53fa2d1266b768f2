/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices bounded by the matrix dimensions */
import { solveAssignment, type AssignmentPair } from '@sensorfuse/eval';

/**
 * Components up to this size are solved by enumerating every assignment (at most 8·7·6 = 336 of them) instead
 * of through munkres: gating leaves almost only such components (1×2, 2×2, 3×2 on the benchmark scenes) and the
 * solver's set-up (matrix copies, covers) costs more than the enumeration. Larger ones go to munkres.
 */
const SMALL_MAX_PAIRS = 3;
const SMALL_MAX_SIDE = 8;

/**
 * The assignment solveAssignment finds, by enumeration: among the assignments that pair every row of the
 * smaller side, the fewest forbidden (non-finite) pairs first, then the least total cost of the allowed ones
 * (what munkres minimises when a forbidden pair costs more than all allowed pairs together); forbidden pairs
 * are dropped from the result. Appends to `out`.
 */
function solveSmall(costs: readonly (readonly number[])[], rows: readonly number[], cols: readonly number[], out: AssignmentPair[]): void {
  const transposed = rows.length > cols.length;
  const nSmall = transposed ? cols.length : rows.length;
  const nLarge = transposed ? rows.length : cols.length;
  const cost = (i: number, j: number): number => (transposed ? costs[rows[j]!]![cols[i]!]! : costs[rows[i]!]![cols[j]!]!);
  const pick = new Int32Array(nSmall);
  const best = new Int32Array(nSmall).fill(-1);
  const used = new Uint8Array(nLarge);
  let bestForbidden = Number.POSITIVE_INFINITY;
  let bestSum = Number.POSITIVE_INFINITY;
  const visit = (i: number, forbidden: number, sum: number): void => {
    if (i === nSmall) {
      if (forbidden < bestForbidden || (forbidden === bestForbidden && sum < bestSum)) {
        bestForbidden = forbidden;
        bestSum = sum;
        best.set(pick);
      }
      return;
    }
    for (let j = 0; j < nLarge; j++) {
      if (used[j] === 1) continue;
      const c = cost(i, j);
      const finite = Number.isFinite(c);
      const f = forbidden + (finite ? 0 : 1);
      if (f > bestForbidden) continue;
      used[j] = 1;
      pick[i] = j;
      visit(i + 1, f, finite ? sum + c : sum);
      used[j] = 0;
    }
  };
  visit(0, 0, 0);
  for (let i = 0; i < nSmall; i++) {
    const j = best[i]!;
    if (j < 0 || !Number.isFinite(cost(i, j))) continue;
    out.push(transposed ? { row: rows[j]!, col: cols[i]! } : { row: rows[i]!, col: cols[j]! });
  }
}

/**
 * Min-cost assignment (Hungarian, @sensorfuse/eval's solveAssignment over `munkres`) where a
 * non-finite cost forbids a pair, solved per connected component of the allowed pairs. Gating leaves
 * most pairs forbidden, so the components are small and the O(n³) step runs on a few rows at a time;
 * the optimum is the same because no allowed pair links two components. Pairs sorted by row.
 */
export function assignByComponents(costs: readonly (readonly number[])[]): AssignmentPair[] {
  const rows = costs.length;
  const cols = costs[0]?.length ?? 0;
  if (rows === 0 || cols === 0) return [];
  // Union-find over rows (0..rows-1) and columns (rows..rows+cols-1).
  const parent = Int32Array.from({ length: rows + cols }, (_, i) => i);
  const find = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r]!;
    let j = i;
    while (parent[j] !== r) {
      const next = parent[j]!;
      parent[j] = r;
      j = next;
    }
    return r;
  };
  let any = false;
  for (let r = 0; r < rows; r++) {
    const row = costs[r]!;
    for (let c = 0; c < cols; c++) {
      if (Number.isFinite(row[c]!)) {
        any = true;
        const a = find(r);
        const b = find(rows + c);
        if (a !== b) parent[a] = b;
      }
    }
  }
  if (!any) return [];
  const groups = new Map<number, { rows: number[]; cols: number[] }>();
  for (let i = 0; i < rows + cols; i++) {
    const root = find(i);
    let g = groups.get(root);
    if (g === undefined) {
      g = { rows: [], cols: [] };
      groups.set(root, g);
    }
    if (i < rows) g.rows.push(i);
    else g.cols.push(i - rows);
  }
  const pairs: AssignmentPair[] = [];
  for (const g of groups.values()) {
    if (g.rows.length === 0 || g.cols.length === 0) continue;
    if (g.rows.length === 1 && g.cols.length === 1) {
      pairs.push({ row: g.rows[0]!, col: g.cols[0]! });
      continue;
    }
    if (Math.min(g.rows.length, g.cols.length) <= SMALL_MAX_PAIRS && Math.max(g.rows.length, g.cols.length) <= SMALL_MAX_SIDE) {
      solveSmall(costs, g.rows, g.cols, pairs);
      continue;
    }
    const sub = g.rows.map((r) => g.cols.map((c) => costs[r]![c]!));
    for (const p of solveAssignment(sub)) pairs.push({ row: g.rows[p.row]!, col: g.cols[p.col]! });
  }
  pairs.sort((a, b) => a.row - b.row);
  return pairs;
}
