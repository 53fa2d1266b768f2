import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import type { GroundTruth, LidarScan, MotionSample, RigCalibration, SensorReading } from '@sensorfuse/schemas';
import { groundTruthSchema, lidarScanSchema, motionSampleSchema, rigCalibrationSchema, sensorReadingSchema } from '@sensorfuse/schemas';
import { MemoryBus } from '@sensorfuse/transport';
import type { ConsumedRecord } from '@sensorfuse/transport';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { presetScenario } from '../core/presets.js';
import { CoreSimulation } from '../core/simulation-core.js';
import { createSimulation } from '../simulation.js';
import { CALIBRATION_TOPIC, TRUTH_TOPIC, publishCalibration, publishSimulation } from './publish.js';
import { toRigCalibration } from './wire.js';
import { writeSimulationFiles } from './files.js';

describe('publishing to the bus', () => {
  it('publishes Avro records keyed by rig id that decode back to the simulated values', async () => {
    const sc = { ...presetScenario('urban-day'), durationS: 0.2 };
    const bus = new MemoryBus();
    const topics = ['raw.lidar', 'raw.motion', 'raw.audio', 'raw.sensor', TRUTH_TOPIC, CALIBRATION_TOPIC];
    await bus.admin.createTopics(topics.map((topic) => ({ topic, partitions: 2 })));
    const sim = createSimulation(sc, { seed: 1, sensors: ['lidar', 'imu', 'gnss', 'audio', 'device'] });
    const stats = await publishSimulation(sim, { bus });
    // 0.2 s: 2 sweeps, 40 IMU + 2 GNSS samples, 4 audio chunks, 2 readings of 5 device sensors, truth for each sweep and chunk.
    expect(stats.records).toEqual({ 'raw.lidar': 2, 'raw.motion': 42, 'raw.audio': 4, 'raw.sensor': 10, [TRUTH_TOPIC]: 6 });
    await publishCalibration(bus, toRigCalibration(sim.core.calibration, sc));

    const read = (topic: string, n: number): Promise<ConsumedRecord[]> =>
      firstValueFrom(bus.subscribe({ groupId: `g-${topic}`, topics: [topic], fromBeginning: true }).pipe(take(n), toArray()));
    const registry = new SchemaRegistry();
    const lidar = createCodec<LidarScan>(registry, lidarScanSchema);
    const scans = (await read('raw.lidar', 2)).map((r) => {
      expect(r.key).toBe(sc.rigId);
      expect(r.headers['content-type']?.toString()).toBe('application/vnd.sensorfuse.lidarscan');
      return lidar.decode(r.value);
    });
    expect(scans.map((s) => s.seq)).toEqual([0, 1]);
    const scan = scans[0];
    expect(scan?.fields.map((f) => `${f.name}@${f.offset}:${f.datatype}`)).toEqual(['x@0:float32', 'y@4:float32', 'z@8:float32', 'intensity@12:float32', 'ring@16:uint16']);
    expect(scan?.data.byteLength).toBe((scan?.pointCount ?? 0) * 20);
    // Rings are beam indices 0..31.
    const rings = new Set<number>();
    if (scan) for (let i = 0; i < scan.pointCount; i++) rings.add(scan.data.readUInt16LE(i * 20 + 16));
    expect(Math.max(...rings)).toBeLessThanOrEqual(31);
    expect(rings.size).toBeGreaterThan(20);

    const motion = createCodec<MotionSample>(registry, motionSampleSchema);
    const samples = (await read('raw.motion', 42)).map((r) => motion.decode(r.value));
    const imu = samples.filter((s) => 'sensorfuse.ImuSample' in s.payload);
    expect(imu).toHaveLength(40);
    const first = imu[0]?.payload;
    expect(first && 'sensorfuse.ImuSample' in first ? first['sensorfuse.ImuSample'].linearAcceleration.z : 0).toBeGreaterThan(9);
    // 50 Hz magnetometer on the 200 Hz IMU: every 4th sample carries ~50 µT in tesla.
    const fields = imu.map((m) => ('sensorfuse.ImuSample' in m.payload ? m.payload['sensorfuse.ImuSample'].magneticField : null));
    expect(fields.filter((f) => f !== null)).toHaveLength(10);
    const f0 = fields[0];
    expect(f0 ? Math.hypot(f0.x, f0.y, f0.z) : 0).toBeGreaterThan(45e-6);
    expect(f0 ? Math.hypot(f0.x, f0.y, f0.z) : 1).toBeLessThan(55e-6);

    const readings = (await read('raw.sensor', 10)).map((r) => {
      expect(r.headers['content-type']?.toString()).toBe('application/vnd.sensorfuse.sensorreading');
      return createCodec<SensorReading>(registry, sensorReadingSchema).decode(r.value);
    });
    expect(new Set(readings.map((r) => r.sensorId))).toEqual(new Set(['ambient_temp', 'ambient_temp_f', 'tyre_pressure', 'battery', 'wheel_speed']));
    const fahrenheit = readings.find((r) => r.sensorId === 'ambient_temp_f');
    expect(fahrenheit?.unit).toBe('degF');
    expect(fahrenheit?.values[0]).toBeGreaterThan(60); // 18 °C ≈ 64 °F
    expect(readings.find((r) => r.sensorId === 'tyre_pressure')?.values).toHaveLength(4);
    expect(readings.filter((r) => r.metadata !== null)).toHaveLength(5); // metadata on each sensor's first reading

    const truthCodec = createCodec<GroundTruth>(registry, groundTruthSchema);
    const truths = (await read(TRUTH_TOPIC, 6)).map((r) => {
      expect(r.headers['content-type']?.toString()).toBe('application/vnd.sensorfuse.groundtruth');
      return truthCodec.decode(r.value);
    });
    expect(truths.map((t) => t.seq)).toEqual([0, 1, 2, 3, 4, 5]);
    const sweepTruth = truths.find((t) => t.forSensorId === 'lidar_top');
    expect(sweepTruth?.objects).toHaveLength(sim.core.world.objects.length);
    expect(sweepTruth?.objects.some((o) => (o.lidar?.points ?? 0) > 0)).toBe(true);
    expect(sweepTruth?.objects.every((o) => o.camera === null)).toBe(true);
    expect(sweepTruth?.ego.speedMps).toBeCloseTo(sim.core.world.egoKinematics(0).speedMps, 6);
    expect(sweepTruth?.devices.find((d) => d.sensorId === 'wheel_speed')?.values).toHaveLength(2);

    const cal = createCodec<RigCalibration>(registry, rigCalibrationSchema).decode((await read(CALIBRATION_TOPIC, 1))[0]?.value ?? Buffer.alloc(0));
    expect(cal.sensors.map((s) => `${s.sensorId}:${s.modality}`)).toEqual(['camera_front:camera', 'lidar_top:lidar', 'mic_array:audio', 'imu:motion', 'gnss:motion']);
    const cam = cal.sensors[0];
    // Camera optical z (forward) is ego x: third column of the rotation is (≈1, 0, ≈-0.05) for a 3° down pitch.
    expect(cam?.extrinsics.transform[2]).toBeCloseTo(Math.cos((3 * Math.PI) / 180), 9);
    expect(cam?.extrinsics.transform[10]).toBeCloseTo(-Math.sin((3 * Math.PI) / 180), 9);
    expect(cam?.cameraIntrinsics?.fx).toBeCloseTo(320, 9); // 640 px, 90° FOV: f = 320 / tan 45°
    await bus.close();
  });
});

describe('raw.sensor on a pipeline set up without it', () => {
  it('is created with the partition count of the other raw topics', async () => {
    const bus = new MemoryBus();
    await bus.admin.createTopics(['raw.motion', TRUTH_TOPIC].map((topic) => ({ topic, partitions: 3 })));
    const sim = createSimulation({ ...presetScenario('urban-day'), durationS: 0.1 }, { seed: 1, sensors: ['imu', 'device'] });
    const stats = await publishSimulation(sim, { bus, truth: 'omit' });
    expect(stats.records['raw.sensor']).toBe(5);
    expect(await bus.admin.partitionCount('raw.sensor')).toBe(3);
    await bus.close();
  });
});

describe('writing files', () => {
  it('writes an index, payload files, truth and sound events that match the stream', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sim-files-'));
    try {
      const sc = { ...presetScenario('urban-day'), durationS: 0.3 };
      const core = new CoreSimulation(sc, { seed: 2, sensors: ['lidar', 'audio', 'imu'] });
      const stats = await writeSimulationFiles(core, core.records(), dir);
      const index = readFileSync(path.join(dir, 'records.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const truth = readFileSync(path.join(dir, 'truth.jsonl'), 'utf8').trim().split('\n');
      expect(index.length + truth.length).toBe(stats.records);
      const lidarBin = readFileSync(path.join(dir, 'lidar_top.bin'));
      const sweeps = index.filter((l) => l.kind === 'lidar');
      expect(sweeps).toHaveLength(3);
      const last = sweeps[2]?.payload as { offset: number; length: number };
      expect(last.offset + last.length).toBe(lidarBin.byteLength);
      expect(index.filter((l) => l.kind === 'imu')).toHaveLength(60);
      expect(JSON.parse(readFileSync(path.join(dir, 'calibration.json'), 'utf8'))).toHaveProperty('rigId', sc.rigId);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
