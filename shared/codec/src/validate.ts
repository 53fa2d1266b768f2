import { MAX_PLAUSIBLE_TIME_US, MIN_PLAUSIBLE_TIME_US, isPlausibleTimeUs } from '@sensorfuse/time';
import { InvalidRecordError } from './errors.js';

/** The fields every raw and observation record carries (DESIGN.md, Messages). */
export interface CommonFields {
  readonly rigId: string;
  readonly sensorId: string;
  readonly seq: number;
  readonly captureTimeUs: number;
  readonly publishTimeUs: number;
  readonly frameId: string;
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/**
 * Rejects a decoded record that Avro accepts but no consumer may: an implausible capture time
 * (NaN, not an integer, outside 2000..2100), a negative seq, an empty rigId or sensorId. Throws
 * InvalidRecordError naming the field, what was expected and what was found.
 */
export function validateCommonFields(record: CommonFields): void {
  const context = { sensorId: record.sensorId, rigId: record.rigId };
  if (typeof record.rigId !== 'string' || record.rigId.length === 0) {
    throw new InvalidRecordError('rigId', 'a non-empty string', show(record.rigId), { context });
  }
  if (typeof record.sensorId !== 'string' || record.sensorId.length === 0) {
    throw new InvalidRecordError('sensorId', 'a non-empty string', show(record.sensorId), { context });
  }
  if (!Number.isSafeInteger(record.seq) || record.seq < 0) {
    throw new InvalidRecordError('seq', 'a non-negative integer', show(record.seq), { context });
  }
  if (!isPlausibleTimeUs(record.captureTimeUs)) {
    throw new InvalidRecordError(
      'captureTimeUs',
      `integer microseconds in [${MIN_PLAUSIBLE_TIME_US}, ${MAX_PLAUSIBLE_TIME_US}) (years 2000..2100)`,
      show(record.captureTimeUs),
      { context },
    );
  }
}
