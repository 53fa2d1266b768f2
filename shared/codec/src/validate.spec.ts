import { PoisonRecordError } from '@sensorfuse/errors';
import { describe, expect, it } from 'vitest';
import { InvalidRecordError, validateCommonFields } from './index.js';

const good = {
  rigId: 'rig-7',
  sensorId: 'lidar_top',
  seq: 0,
  captureTimeUs: 1_700_000_000_000_000,
  publishTimeUs: 1_700_000_000_002_500,
  frameId: 'lidar_top',
};

function rejection(record: typeof good): InvalidRecordError {
  try {
    validateCommonFields(record);
  } catch (e) {
    if (e instanceof InvalidRecordError) return e;
    throw e;
  }
  throw new Error('expected InvalidRecordError, record was accepted');
}

describe('validateCommonFields', () => {
  it('accepts a record with plausible common fields', () => {
    expect(() => {
      validateCommonFields(good);
    }).not.toThrow();
  });

  it('rejects a NaN capture time, naming field, expectation and value', () => {
    const e = rejection({ ...good, captureTimeUs: Number.NaN });
    expect(e).toBeInstanceOf(PoisonRecordError);
    expect(e.field).toBe('captureTimeUs');
    expect(e.message).toBe(
      'invalid record: field captureTimeUs expected integer microseconds in [946684800000000, 4102444800000000) (years 2000..2100), found NaN',
    );
  });

  it('rejects capture times in seconds or milliseconds by mistake, and fractional microseconds', () => {
    expect(rejection({ ...good, captureTimeUs: 1_700_000_000 }).found).toBe('1700000000');
    expect(rejection({ ...good, captureTimeUs: 1_700_000_000_000 }).field).toBe('captureTimeUs');
    expect(rejection({ ...good, captureTimeUs: 1_700_000_000_000_000.5 }).field).toBe('captureTimeUs');
  });

  it('rejects a negative seq and an empty sensorId or rigId', () => {
    const seq = rejection({ ...good, seq: -1 });
    expect(seq.message).toBe('invalid record: field seq expected a non-negative integer, found -1');
    const sensor = rejection({ ...good, sensorId: '' });
    expect(sensor.message).toBe('invalid record: field sensorId expected a non-empty string, found ""');
    expect(rejection({ ...good, rigId: '' }).field).toBe('rigId');
    expect(sensor.context.rigId).toBe('rig-7');
  });
});
