/* eslint-disable @typescript-eslint/no-non-null-assertion -- indices bounded by the matrix dimensions */
import { solveAssignment, type AssignmentPair } from '@sensorfuse/eval';

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
    const sub = g.rows.map((r) => g.cols.map((c) => costs[r]![c]!));
    for (const p of solveAssignment(sub)) pairs.push({ row: g.rows[p.row]!, col: g.cols[p.col]! });
  }
  pairs.sort((a, b) => a.row - b.row);
  return pairs;
}
