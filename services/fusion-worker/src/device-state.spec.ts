import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import {
  fusedDetectionsSchema, lidarObjectsSchema, sensorStateSchema,
  type FusedDetections, type LidarObjects, type SensorState,
} from '@sensorfuse/schemas';
import { MemoryStateStore } from '@sensorfuse/state';
import { MemoryBus } from '@sensorfuse/transport';
import { ensureTopics } from '@sensorfuse/worker';
import { loadFusionConfig } from './config.js';
import { T0, lidarOnlyCalibration } from './real-data.spec-helper.js';
import { createFusionWorker, type FusionWorker } from './worker.js';

const MS = 1_000;
const calibration = lidarOnlyCalibration();
const registry = new SchemaRegistry();
const lidarCodec = createCodec<LidarObjects>(registry, lidarObjectsSchema);
const sensorCodec = createCodec<SensorState>(registry, sensorStateSchema);
const fusedCodec = createCodec<FusedDetections>(registry, fusedDetectionsSchema);

const sweep = (seq: number, t: number) => lidarCodec.encode({
  rigId: 'rig-1', sensorId: 'lidar_top', seq, captureTimeUs: t, publishTimeUs: t, frameId: 'lidar_top',
  objects: [], inputPointCount: 1000, noiseFraction: 0, reliability: 0.9,
});

function state(sensorId: string, sensorType: SensorState['sensorType'], unit: string, seq: number, t: number, values: number[], std: number[], extra: Partial<SensorState> = {}): Buffer {
  return sensorCodec.encode({
    rigId: 'rig-1', sensorId, seq, captureTimeUs: t, publishTimeUs: t, frameId: 'base_link', sensorType, unit, values, std, measured: values,
    outlier: false, stuck: false, outOfRange: false, imputed: false, imputationMethod: 'none', imputationDraws: 0, predictorSensorIds: [], sinceMeasuredUs: 0,
    ...extra,
  });
}

async function until(worker: FusionWorker, consumed: number): Promise<void> {
  while (worker.stats().consumed < consumed) await new Promise((resolve) => setTimeout(resolve, 2));
}

async function fused(bus: MemoryBus, topic: string, frames: number): Promise<FusedDetections[]> {
  const records = await firstValueFrom(bus.subscribe({ groupId: 'reader', topics: [topic], fromBeginning: true, highWaterMark: Infinity }).pipe(take(frames), toArray()));
  return records.map((r) => fusedCodec.decode(r.value));
}

describe('fusion worker: device sensors (obs.sensor) interpolated into the fused frames', () => {
  it('puts each sensor\'s state at the sweep time, interpolated by hand, next to the detections', async () => {
    const bus = new MemoryBus();
    const config = loadFusionConfig({});
    const t = config.topics;
    await ensureTopics(bus, [t.lidar, t.camera, t.audio, t.motion, t.sensor, t.output], 1);
    const worker = createFusionWorker(bus, config, new MemoryStateStore());
    await worker.calibration.publish(calibration);
    worker.start();
    const temp = (seq: number, dtMs: number, v: number, std: number, extra: Partial<SensorState> = {}) => state('ambient_temp', 'temperature', 'degC', seq, T0 + dtMs * MS, [v], [std], extra);
    const tyre = (seq: number, dtMs: number, base: number, std: number) => state('tyre_pressure', 'pressure', 'kPa', seq, T0 + dtMs * MS, [base, base + 1, base + 2, base + 3], [std, std, std, std]);
    await bus.publish(t.sensor, [
      { key: 'rig-1', value: temp(0, -50, 20, 0.1) },
      { key: 'rig-1', value: tyre(0, -20, 240, 0.5) },
      { key: 'rig-1', value: temp(1, 50, 21, 0.3) },
      { key: 'rig-1', value: tyre(1, 80, 250, 1.5) },
      { key: 'rig-1', value: temp(2, 150, 22, 0.1, { imputed: true, imputationMethod: 'kalman', sinceMeasuredUs: 100_000, measured: [] }) },
      { key: 'rig-1', value: tyre(2, 180, 250, 0.5) },
      { key: 'rig-1', value: temp(3, 250, 23, 0.1) },
      { key: 'rig-1', value: tyre(3, 280, 250, 0.5) },
    ]);
    // The device stream has spoken before the sweeps arrive, so the frames wait for its brackets.
    await until(worker, 8);
    await bus.publish(t.lidar, [{ key: 'rig-1', value: sweep(0, T0) }, { key: 'rig-1', value: sweep(1, T0 + 100 * MS) }]);
    const [first, second] = await fused(bus, t.output, 2);
    await worker.drain();

    expect(first?.captureTimeUs).toBe(T0);
    expect(first?.presentModalities).toContain('sensor');
    expect(first?.deviceState?.map((d) => d.sensorId)).toEqual(['ambient_temp', 'tyre_pressure']);
    const [t0, p0] = first?.deviceState ?? [];
    // Sweep at 0 ms. Temperature between −50 ms (20 °C, σ 0.1) and +50 ms (21 °C, σ 0.3): fraction 0.5 → 20.5 °C, σ 0.2.
    expect(t0?.values[0]).toBeCloseTo(20.5, 12);
    expect(t0?.std[0]).toBeCloseTo(0.2, 12);
    expect([t0?.alignMethod, t0?.sampleOffsetsUs, t0?.unit, t0?.sensorType, t0?.imputed]).toEqual(['interpolated', [-50_000, 50_000], 'degC', 'temperature', false]);
    // Tyres between −20 ms (240…243 kPa, σ 0.5) and +80 ms (250…253, σ 1.5): fraction 0.2 → 242…245, σ 0.7.
    expect(p0?.values.map((v) => Number(v.toFixed(9)))).toEqual([242, 243, 244, 245]);
    expect(p0?.std.map((v) => Number(v.toFixed(9)))).toEqual([0.7, 0.7, 0.7, 0.7]);
    expect(p0?.sampleOffsetsUs).toEqual([-20_000, 80_000]);

    const [t1, p1] = second?.deviceState ?? [];
    // Sweep at 100 ms. Temperature between +50 ms (21) and +150 ms (22, imputed by Kalman): fraction 0.5 → 21.5, σ 0.2, imputed.
    expect(t1?.values[0]).toBeCloseTo(21.5, 12);
    expect(t1?.std[0]).toBeCloseTo(0.2, 12);
    expect([t1?.imputed, t1?.imputationMethod, t1?.sinceMeasuredUs]).toEqual([true, 'kalman', 100_000]);
    // Tyres between +80 ms (250…, σ 1.5) and +180 ms (250…, σ 0.5): fraction 0.2 → 250…253, σ 1.5 − 0.2 × 1.0 = 1.3.
    expect(p1?.values.map((v) => Number(v.toFixed(9)))).toEqual([250, 251, 252, 253]);
    expect(p1?.std[0]).toBeCloseTo(1.3, 12);
  });

  it('without obs.sensor (no topic, or a topic that never carries a record) fused frames still come, with no device state', async () => {
    for (const withTopic of [false, true]) {
      const bus = new MemoryBus();
      const config = loadFusionConfig({});
      const t = config.topics;
      await ensureTopics(bus, [t.lidar, t.camera, t.audio, t.motion, t.output, ...(withTopic ? [t.sensor] : [])], 1);
      const worker = createFusionWorker(bus, config, new MemoryStateStore());
      await worker.calibration.publish(calibration);
      worker.start();
      await bus.publish(t.lidar, [0, 1, 2].map((i) => ({ key: 'rig-1', value: sweep(i, T0 + i * 100 * MS) })));
      const frames = await fused(bus, t.output, 3);
      await worker.drain();
      expect(frames.map((f) => f.captureTimeUs), `obs.sensor topic ${withTopic ? 'present' : 'absent'}`).toEqual([T0, T0 + 100 * MS, T0 + 200 * MS]);
      expect(frames.every((f) => f.deviceState?.length === 0)).toBe(true);
      // Rigs without device sensors are not reported as missing them.
      expect(frames.some((f) => f.presentModalities.includes('sensor') || f.missingModalities.includes('sensor'))).toBe(false);
    }
  });
});
