import type { TruthRecord } from '../core/records.js';

/** A truth record as plain JSON (numbers rounded to micrometres / microradians to keep lines short). */
export function truthToJson(t: TruthRecord): unknown {
  return JSON.parse(JSON.stringify(t, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e6) / 1e6 : v))) as unknown;
}
