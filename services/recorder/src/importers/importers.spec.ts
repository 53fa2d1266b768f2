import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCodec, SchemaRegistry } from '@sensorfuse/codec';
import { parseKittiCalib, parseKittiLabels, rectToVelo } from '@sensorfuse/pointcloud';
import { cameraFrameSchema, lidarScanSchema, rigCalibrationSchema, type CameraFrame, type LidarScan, type RigCalibration } from '@sensorfuse/schemas';
import { MemoryBus } from '@sensorfuse/transport';
import { describe, expect, it } from 'vitest';
import { Recording } from '../reader.js';
import { invertRigid, mul4, publishImported, writeImported, type ImportedRecord } from './common.js';
import { KITTI_DEFAULT_START_US, kittiRecords } from './kitti.js';
import { nuscenesRecords } from './nuscenes.js';
import { px4Records } from './px4.js';
import { motionSampleSchema, type MotionSample } from '@sensorfuse/schemas';
import { MessageType, ULog } from '@foxglove/ulog';
import { FileReader } from '@foxglove/ulog/node.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const dataDir = path.resolve(repoRoot, '../shared/data');
const kittiDir = path.join(dataDir, 'kitti');
const nuscenesDir = path.join(dataDir, 'nuscenes-sample');

const registry = new SchemaRegistry();
const lidarCodec = createCodec<LidarScan>(registry, lidarScanSchema);
const cameraCodec = createCodec<CameraFrame>(registry, cameraFrameSchema);
const calCodec = createCodec<RigCalibration>(registry, rigCalibrationSchema);
const motionCodec = createCodec<MotionSample>(registry, motionSampleSchema);
const px4File = path.join(dataDir, 'px4/sample_log_small.ulg');

function apply(T: readonly number[], p: readonly [number, number, number]): [number, number, number] {
  const g = (i: number): number => T[i] ?? 0;
  return [
    g(0) * p[0] + g(1) * p[1] + g(2) * p[2] + g(3),
    g(4) * p[0] + g(5) * p[1] + g(6) * p[2] + g(7),
    g(8) * p[0] + g(9) * p[1] + g(10) * p[2] + g(11),
  ];
}

function byTopic(records: readonly ImportedRecord[], topic: string): ImportedRecord[] {
  return records.filter((r) => r.topic === topic);
}

describe('KITTI importer', () => {
  it('imports every frame with point counts from the file sizes and the README image sizes', () => {
    if (!fs.existsSync(kittiDir)) {
      console.warn('skipped: ../shared/data/kitti absent');
      return;
    }
    const records = [...kittiRecords({ dir: kittiDir })];
    const scans = byTopic(records, 'raw.lidar').map((r) => lidarCodec.decode(r.value));
    const frames = byTopic(records, 'raw.camera').map((r) => cameraCodec.decode(r.value));
    expect(scans).toHaveLength(2);
    expect(frames).toHaveLength(2);
    expect(byTopic(records, 'calibration.rig')).toHaveLength(2);
    expect(byTopic(records, 'truth.boxes')).toHaveLength(2);
    for (const [i, id] of ['000000', '000001'].entries()) {
      const bytes = fs.statSync(path.join(kittiDir, 'velodyne', `${id}.bin`)).size;
      expect(scans[i]?.pointCount).toBe(bytes / 16);
      expect(scans[i]?.captureTimeUs).toBe(KITTI_DEFAULT_START_US + i * 100_000);
      expect(frames[i]?.captureTimeUs).toBe(scans[i]?.captureTimeUs);
      expect(frames[i]?.data.equals(fs.readFileSync(path.join(kittiDir, 'image_2', `${id}.png`)))).toBe(true);
    }
    // data README: 1224x370 and 1242x375
    expect(frames.map((f) => `${String(f.width)}x${String(f.height)}`).sort()).toEqual(['1224x370', '1242x375']);
  });

  it('writes a calibration that projects each labelled 3D box centre into its labelled 2D box', () => {
    if (!fs.existsSync(kittiDir)) {
      console.warn('skipped: ../shared/data/kitti absent');
      return;
    }
    const records = [...kittiRecords({ dir: kittiDir })];
    const cals = byTopic(records, 'calibration.rig').map((r) => calCodec.decode(r.value));
    let checked = 0;
    for (const [i, id] of ['000000', '000001'].entries()) {
      const cam = cals[i]?.sensors.find((s) => s.sensorId === 'cam2');
      const K = cam?.cameraIntrinsics;
      if (!cam || !K) throw new Error('no cam2 calibration');
      const veloToCam2 = invertRigid(cam.extrinsics.transform);
      const calib = parseKittiCalib(fs.readFileSync(path.join(kittiDir, 'calib', `${id}.txt`), 'utf8'));
      const text = fs.readFileSync(path.join(kittiDir, 'label_2', `${id}.txt`), 'utf8');
      // 2D box columns 4..7 (left, top, right, bottom) of the label file, in the order parseKittiLabels reads lines
      const boxes2d = text.split('\n').map((l) => l.trim().split(/\s+/)).filter((t) => t.length >= 15).map((t) => t.slice(4, 8).map(Number));
      for (const [k, label] of parseKittiLabels(text).entries()) {
        const [left = NaN, top = NaN, right = NaN, bottom = NaN] = boxes2d[k] ?? [];
        if (label.type === 'DontCare' || label.z < 2) continue;
        // the box centre in the velodyne frame, by the pointcloud package's own KITTI transform
        const velo = rectToVelo(calib, label.x, label.y - label.h / 2, label.z);
        const [x, y, z] = apply(veloToCam2, velo);
        const u = K.fx * (x / z) + K.cx;
        const v = K.fy * (y / z) + K.cy;
        expect(u, `${id} ${label.type}`).toBeGreaterThan(left - 2);
        expect(u).toBeLessThan(right + 2);
        expect(v).toBeGreaterThan(top - 2);
        expect(v).toBeLessThan(bottom + 2);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('round-trips through an MCAP recording and onto the Bus', async () => {
    if (!fs.existsSync(kittiDir)) {
      console.warn('skipped: ../shared/data/kitti absent');
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitti-'));
    const stats = await writeImported(kittiRecords({ dir: kittiDir }), { path: path.join(dir, 'kitti.mcap') });
    expect(stats.messages).toBe(8);
    const rec = await Recording.open(stats.files);
    expect(rec.topics()).toEqual(['calibration.rig', 'raw.camera', 'raw.lidar', 'truth.boxes']);
    expect(rec.staticTopics()).toEqual(['calibration.rig']);
    await rec.close();
    const bus = new MemoryBus();
    await bus.admin.createTopics(['calibration.rig', 'raw.camera', 'raw.lidar', 'truth.boxes'].map((topic) => ({ topic, partitions: 1 })));
    expect(await publishImported(bus, kittiRecords({ dir: kittiDir }))).toBe(8);
    await bus.close();
    fs.rmSync(dir, { recursive: true });
  });
});

describe('nuScenes importer', () => {
  interface Sample {
    timestamp: number;
    images: Record<string, { timestamp: number; lidar2cam: number[][] }>;
  }

  it('imports the sweep, six cameras at their capture times, the calibration and 69 boxes', () => {
    if (!fs.existsSync(nuscenesDir)) {
      console.warn('skipped: ../shared/data/nuscenes-sample absent');
      return;
    }
    const sample = (JSON.parse(fs.readFileSync(path.join(nuscenesDir, 'sample.json'), 'utf8')) as { data_list: Sample[] }).data_list[0];
    if (!sample) throw new Error('empty sample.json');
    const records = [...nuscenesRecords({ dir: nuscenesDir })];
    const scans = byTopic(records, 'raw.lidar').map((r) => lidarCodec.decode(r.value));
    const frames = byTopic(records, 'raw.camera').map((r) => cameraCodec.decode(r.value));
    expect(scans).toHaveLength(1);
    expect(scans[0]?.pointCount).toBe(34_688); // data README
    expect(scans[0]?.pointStride).toBe(20);
    // sample.json timestamps are seconds as floats: equal to the µs of the file names within 1 µs
    expect(Math.abs((scans[0]?.captureTimeUs ?? 0) - sample.timestamp * 1e6)).toBeLessThanOrEqual(1);
    expect(frames).toHaveLength(6);
    for (const f of frames) {
      expect(`${String(f.width)}x${String(f.height)}`).toBe('1600x900');
      const channel = f.sensorId.toUpperCase();
      const seconds = sample.images[channel]?.timestamp ?? NaN;
      expect(Math.abs(f.captureTimeUs - seconds * 1e6), channel).toBeLessThanOrEqual(1);
    }
    // records are in capture order after the calibration
    const times = records.slice(1).map((r) => r.captureTimeUs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const truth = JSON.parse(byTopic(records, 'truth.boxes')[0]?.value.toString() ?? '{}') as { boxes: unknown[] };
    expect(truth.boxes).toHaveLength(69); // data README
  });

  // The dataset's lidar2cam goes lidar → ego(t_lidar) → global → ego(t_cam) → camera, so it also holds
  // the ego motion between the two capture times; ours is the rig geometry alone. The rotations agree
  // to the small yaw change, the translations differ by at most the distance the car can cover in
  // |t_cam − t_lidar| (≤ 12 m/s in this urban scene).
  it('writes extrinsics consistent with the dataset lidar2cam of every camera, up to ego motion', () => {
    if (!fs.existsSync(nuscenesDir)) {
      console.warn('skipped: ../shared/data/nuscenes-sample absent');
      return;
    }
    const sample = (JSON.parse(fs.readFileSync(path.join(nuscenesDir, 'sample.json'), 'utf8')) as { data_list: Sample[] }).data_list[0];
    const cal = calCodec.decode(byTopic([...nuscenesRecords({ dir: nuscenesDir })], 'calibration.rig')[0]?.value ?? Buffer.alloc(0));
    const lidar = cal.sensors.find((s) => s.sensorId === 'lidar_top');
    if (!lidar || !sample) throw new Error('no lidar calibration');
    const cams = cal.sensors.filter((s) => s.modality === 'camera');
    expect(cams).toHaveLength(6);
    for (const cam of cams) {
      const lidarToCam = mul4(invertRigid(cam.extrinsics.transform), lidar.extrinsics.transform);
      const expected = sample.images[cam.sensorId.toUpperCase()]?.lidar2cam.flat() ?? [];
      expect(expected).toHaveLength(16);
      for (const i of [0, 1, 2, 4, 5, 6, 8, 9, 10]) expect(Math.abs((lidarToCam[i] ?? 0) - (expected[i] ?? NaN)), `${cam.sensorId}[${String(i)}]`).toBeLessThan(2e-3);
      const dt = Math.abs((sample.images[cam.sensorId.toUpperCase()]?.timestamp ?? NaN) - sample.timestamp);
      const moved = Math.hypot(...[3, 7, 11].map((i) => (lidarToCam[i] ?? 0) - (expected[i] ?? NaN)));
      expect(moved, cam.sensorId).toBeLessThanOrEqual(12 * dt + 0.01);
    }
  });
});

describe('PX4 ULog importer', () => {
  it('imports every IMU sample (FLU, gravity up) and GNSS fix on the Unix time axis', async () => {
    if (!fs.existsSync(px4File)) {
      console.warn('skipped: ../shared/data/px4 absent');
      return;
    }
    // count the log's own sensor_combined and vehicle_gps_position data messages
    const ulog = new ULog(new FileReader(px4File));
    await ulog.open();
    const counts = new Map<string, number>();
    for await (const msg of ulog.readMessages()) {
      if (msg.type !== MessageType.Data) continue;
      const name = ulog.subscriptions.get(msg.msgId)?.name ?? '';
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    const records = await px4Records({ file: px4File });
    expect(records[0]?.topic).toBe('calibration.rig');
    const samples = records.filter((r) => r.topic === 'raw.motion').map((r) => motionCodec.decode(r.value));
    const imu = samples.flatMap((s) => ('sensorfuse.ImuSample' in s.payload ? [{ t: s.captureTimeUs, v: s.payload['sensorfuse.ImuSample'] }] : []));
    const gnss = samples.flatMap((s) => ('sensorfuse.GnssFix' in s.payload ? [{ t: s.captureTimeUs, v: s.payload['sensorfuse.GnssFix'] }] : []));
    expect(imu.length).toBe(counts.get('sensor_combined'));
    expect(imu.length).toBeGreaterThan(1_290); // the data README lists ~1,300 samples
    expect(gnss.length).toBe(counts.get('vehicle_gps_position'));
    // all on one increasing time axis, in April 2021 (the log's GPS UTC time)
    const times = samples.map((s) => s.captureTimeUs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Date((times[0] ?? 0) / 1000).toISOString().slice(0, 7)).toBe('2021-04');
    // FRD → FLU: the specific force of a near-level vehicle points up, about g
    const az = imu.map((s) => s.v.linearAcceleration.z).sort((a, b) => a - b);
    expect(az[Math.floor(az.length / 2)]).toBeGreaterThan(8);
    expect(az[Math.floor(az.length / 2)]).toBeLessThan(11.5);
    // the first fix is near Trondheim, Norway (where this pyulog sample was flown)
    expect(gnss[0]?.v.latitudeDeg).toBeCloseTo(63.417, 2);
    expect(gnss[0]?.v.longitudeDeg).toBeCloseTo(10.408, 2);
    expect(gnss[0]?.v.fixType).toBe('fix');
  });
});
