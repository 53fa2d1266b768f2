import { munkres } from 'munkres';
import { InvalidEvalInputError } from './errors.js';

/** One row ↔ column pairing of an assignment. */
export interface AssignmentPair {
  readonly row: number;
  readonly col: number;
}

/**
 * Min-cost assignment where NaN or ±Infinity marks a forbidden pair (py-motmetrics' convention).
 *
 * Forbidden pairs get a cost larger than the sum of every allowed cost, so the solver first maximises
 * the number of allowed pairs and only then minimises their total cost; pairs that still land on a
 * forbidden cell are dropped. The Hungarian step itself is the `munkres` package (rectangular input).
 * Returned pairs are sorted by row.
 */
export function solveAssignment(costs: readonly (readonly number[])[]): AssignmentPair[] {
  const rows = costs.length;
  if (rows === 0) return [];
  const cols = costs[0]?.length ?? 0;
  if (cols === 0) return [];
  let allowedSum = 0;
  let anyAllowed = false;
  for (const row of costs) {
    if (row.length !== cols) {
      throw new InvalidEvalInputError(
        `cost matrix rows must all have ${cols} columns, found a row with ${row.length}`,
      );
    }
    for (const c of row) {
      if (Number.isFinite(c)) {
        allowedSum += Math.abs(c);
        anyAllowed = true;
      }
    }
  }
  if (!anyAllowed) return [];
  const forbidden = 2 * allowedSum + 1;
  const matrix = costs.map((row) => row.map((c) => (Number.isFinite(c) ? c : forbidden)));
  const pairs: AssignmentPair[] = [];
  for (const [row, col] of munkres(matrix)) {
    const c = costs[row]?.[col];
    if (c !== undefined && Number.isFinite(c)) pairs.push({ row, col });
  }
  pairs.sort((a, b) => a.row - b.row);
  return pairs;
}
