import { alignByPivot, type InputRecord } from '@sensorfuse/align';
import { interpolateSensorState } from '@sensorfuse/imputation';
import type { SensorState } from '@sensorfuse/schemas';
import { from, lastValueFrom, toArray, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { T0 } from '../readings.spec-helper.js';

function state(timeUs: number, value: number, std: number, extra: Partial<SensorState> = {}): SensorState {
  return {
    rigId: 'rig-1',
    sensorId: 'cabin',
    seq: 0,
    captureTimeUs: timeUs,
    publishTimeUs: timeUs,
    frameId: 'base_link',
    sensorType: 'temperature',
    unit: 'degC',
    values: [value],
    std: [std],
    measured: [value],
    outlier: false,
    stuck: false,
    outOfRange: false,
    imputed: false,
    imputationMethod: 'none',
    imputationDraws: 0,
    predictorSensorIds: [],
    sinceMeasuredUs: 0,
    ...extra,
  };
}

describe('interpolateSensorState', () => {
  it('mixes values and std linearly and carries imputation flags from either end (hand-computed)', () => {
    const a = state(T0, 10, 0.1);
    const b = state(T0 + 1_000_000, 12, 0.3, { imputed: true, imputationMethod: 'kalman', sinceMeasuredUs: 400_000 });
    const mid = interpolateSensorState(a, b, 0.25);
    expect(mid.values[0]).toBeCloseTo(10.5, 12);
    expect(mid.std[0]).toBeCloseTo(0.15, 12);
    expect(mid.imputed).toBe(true);
    expect(mid.imputationMethod).toBe('kalman');
    expect(mid.sinceMeasuredUs).toBe(400_000);
    expect(mid.measured).toEqual([]);
  });

  it('lets alignByPivot carry one sensor as an interpolate-at-pivot input (one input per sensor)', async () => {
    type P = SensorState | null;
    const lidar = (seq: number, timeUs: number): InputRecord<P> => ({ input: 'lidar', record: { sensorId: 'lidar_top', seq, captureTimeUs: timeUs, payload: null } });
    const cabin = (s: SensorState): InputRecord<P> => ({ input: 'sensor/cabin', record: { sensorId: s.sensorId, seq: s.seq, captureTimeUs: s.captureTimeUs, payload: s } });
    const records: InputRecord<P>[] = [
      cabin(state(T0, 10, 0.1)),
      lidar(0, T0 + 250_000),
      cabin({ ...state(T0 + 1_000_000, 12, 0.3), seq: 1 }),
      lidar(1, T0 + 1_500_000),
      cabin({ ...state(T0 + 2_000_000, 16, 0.1), seq: 2 }),
    ];
    const frames = await lastValueFrom(
      from(records).pipe(
        alignByPivot<P>(
          {
            pivot: { name: 'lidar' },
            inputs: [
              {
                name: 'sensor/cabin',
                select: 'interpolate',
                matchWindowUs: 1_000_000,
                interpolate: (a, b, f) => (a.payload !== null && b.payload !== null ? interpolateSensorState(a.payload, b.payload, f) : null),
              },
            ],
          },
          new VirtualTimeScheduler(),
        ),
        toArray(),
      ),
    );
    const at = frames.map((f) => {
      const m = f.members['sensor/cabin'];
      return m?.select === 'interpolate' ? [f.pivotTimeUs - T0, m.value?.values[0], m.value?.std[0]] : undefined;
    });
    // 0.25 s: 10 + 0.25·2 = 10.5, std 0.1 + 0.25·0.2 = 0.15; 1.5 s: 12 + 0.5·4 = 14, std 0.2.
    expect(at).toEqual([
      [250_000, expect.closeTo(10.5, 9), expect.closeTo(0.15, 9)],
      [1_500_000, expect.closeTo(14, 9), expect.closeTo(0.2, 9)],
    ]);
  });
  it('lets alignByPivot carry every sensor of a rig on one input (groupBy sensor), each interpolated at the pivot', async () => {
    type P = SensorState | null;
    const lidar = (seq: number, timeUs: number): InputRecord<P> => ({ input: 'lidar', record: { sensorId: 'lidar_top', seq, captureTimeUs: timeUs, payload: null } });
    const dev = (s: SensorState): InputRecord<P> => ({ input: 'sensor', record: { sensorId: s.sensorId, seq: s.seq, captureTimeUs: s.captureTimeUs, payload: s } });
    const records: InputRecord<P>[] = [
      dev(state(T0, 10, 0.1)),
      dev({ ...state(T0 + 200_000, 1013, 0.5, { sensorType: 'pressure', unit: 'hPa' }), sensorId: 'baro' }),
      lidar(0, T0 + 500_000),
      dev({ ...state(T0 + 1_000_000, 12, 0.3), seq: 1 }),
      dev({ ...state(T0 + 1_200_000, 1003, 0.5, { sensorType: 'pressure', unit: 'hPa' }), sensorId: 'baro', seq: 1 }),
    ];
    const frames = await lastValueFrom(
      from(records).pipe(
        alignByPivot<P>(
          {
            pivot: { name: 'lidar' },
            inputs: [{
              name: 'sensor', select: 'interpolate', groupBy: 'sensor', matchWindowUs: 1_000_000,
              interpolate: (a, b, f) => (a.payload !== null && b.payload !== null ? interpolateSensorState(a.payload, b.payload, f) : null),
            }],
          },
          new VirtualTimeScheduler(),
        ),
        toArray(),
      ),
    );
    const m = frames[0]?.members['sensor'];
    const got = m?.select === 'interpolate' ? (m.sensors ?? []).map((x) => [x.sensorId, x.fraction, x.value?.values[0], x.value?.unit]) : [];
    // cabin: 0.5 s between 0 s (10) and 1 s (12) → 11; baro: (0.5 − 0.2)/1.0 = 0.3 between 1013 and 1003 → 1010.
    expect(got).toEqual([
      ['baro', expect.closeTo(0.3, 12), expect.closeTo(1010, 9), 'hPa'],
      ['cabin', 0.5, expect.closeTo(11, 12), 'degC'],
    ]);
  });
});
