import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { labelCenterVelo, parseKittiCalib, parseKittiLabels } from '@sensorfuse/pointcloud';
import { lidarObjectsSchema, lidarScanSchema, type LidarObjects, type LidarScan } from '@sensorfuse/schemas';
import { describe, expect, it } from 'vitest';
import { loadLidarConfig } from '../config.js';
import { KITTI_DIR, carScene, hasKitti, kittiScan, scanOf } from '../scans.spec-helper.js';
import { EmptyScanError, UnsupportedPointFieldError } from './errors.js';
import { LidarCore, type LidarCoreOptions } from './lidar-core.js';
import { lidarParams } from './params.js';
import { CoreSimulation, presetScenario, toLidarScan } from '@sensorfuse/simulator';

const registry = new SchemaRegistry();
const scans = createCodec<LidarScan>(registry, lidarScanSchema);
const objects = createCodec<LidarObjects>(registry, lidarObjectsSchema);

function core(env: Record<string, string> = {}, over: Partial<LidarCoreOptions> = {}): LidarCore {
  const config = loadLidarConfig(env);
  return new LidarCore({ params: lidarParams(config.lidar), truckMinLengthM: config.lidar.box.truckMinLengthM, emptyScan: config.lidar.emptyScan, nowUs: () => 42, ...over });
}

/** A scan as it arrives: encoded and decoded by the Avro codec. */
function overTheWire(scan: LidarScan): LidarScan {
  return scans.decode(scans.encode(scan));
}

describe('LidarCore', () => {
  it('finds the car of a synthetic scene where it was built, with its size and class', () => {
    const [out] = core().update(overTheWire(scanOf(carScene(12, 4), 7)));
    expect(out).toBeDefined();
    if (out === undefined) return;
    expect(out).toMatchObject({ rigId: 'rig-1', sensorId: 'lidar_top', seq: 7, frameId: 'lidar_top', publishTimeUs: 42 });
    expect(out.objects).toHaveLength(1);
    const car = out.objects[0];
    // Built: centre (12, 4), 4.0 × 1.8 m, body from 0.3 m to 1.5 m above the road at z = -1.73.
    expect(car?.centroid.x).toBeCloseTo(12, 0);
    expect(car?.centroid.y).toBeCloseTo(4, 0);
    expect(Math.abs((car?.extent.x ?? 0) - 4.0)).toBeLessThan(0.35);
    expect(Math.abs((car?.extent.y ?? 0) - 1.8)).toBeLessThan(0.35);
    expect(Math.abs((car?.extent.z ?? 0) - 1.2)).toBeLessThan(0.15);
    // Axis-aligned: yaw 0 or ±π/2 (length ≥ width puts it at 0).
    expect(Math.abs(Math.sin(car?.yawRad ?? 1))).toBeLessThan(0.05);
    expect(car?.classHint).toBe('car');
    expect(out.reliability).toBe(1);
    // The output is a valid LidarObjects record.
    expect(objects.decode(objects.encode(out)).objects).toHaveLength(1);
  });

  it('reports a long vehicle as a truck from the configured length', () => {
    const long = core({}, { truckMinLengthM: 3.5 }).update(scanOf(carScene()))[0];
    expect(long?.objects[0]?.classHint).toBe('truck');
  });

  it('reads a descriptor with a uint16 ring, a time field and an array field it does not use', () => {
    const pts = carScene();
    const stride = 28; // x y z intensity (16) + ring u16 (16) + pad (18) + 2 × u16 extra (20) + time f32 (24)
    const buf = Buffer.alloc(pts.length * stride);
    pts.forEach(([x, y, z, i], k) => {
      const o = k * stride;
      buf.writeFloatLE(x, o);
      buf.writeFloatLE(y, o + 4);
      buf.writeFloatLE(z, o + 8);
      buf.writeFloatLE(i, o + 12);
      buf.writeUInt16LE(k % 64, o + 16);
      buf.writeFloatLE(0.05, o + 24);
    });
    const scan: LidarScan = {
      ...scanOf(pts),
      fields: [
        { name: 'x', offset: 0, datatype: 'float32', count: 1 },
        { name: 'y', offset: 4, datatype: 'float32', count: 1 },
        { name: 'z', offset: 8, datatype: 'float32', count: 1 },
        { name: 'intensity', offset: 12, datatype: 'float32', count: 1 },
        { name: 'ring', offset: 16, datatype: 'uint16', count: 1 },
        { name: 'extra', offset: 20, datatype: 'uint16', count: 2 },
        { name: 'time', offset: 24, datatype: 'float32', count: 1 },
      ],
      pointStride: stride,
      data: buf,
    };
    expect(core().update(overTheWire(scan))[0]?.objects).toHaveLength(1);
    const vectorX = { ...scan, fields: scan.fields.map((f) => (f.name === 'x' ? { ...f, count: 3 } : f)) };
    expect(() => core().update(vectorX)).toThrow(UnsupportedPointFieldError);
  });

  it('dead-letters a NaN storm or a zero-filled sweep, or flags it empty with reliability 0 when configured', () => {
    const nan = scanOf(Array.from({ length: 5000 }, () => [Number.NaN, Number.NaN, Number.NaN, 0] as [number, number, number, number]));
    const zeros = scanOf(Array.from({ length: 5000 }, () => [0, 0, 0, 0] as [number, number, number, number]));
    expect(() => core().update(nan)).toThrow(EmptyScanError);
    expect(() => core().update(zeros)).toThrow(/no valid point: 5000 points, 5000 NaN\/Inf\/zero/);
    const [flagged] = core({ SENSORFUSE_LIDAR_LIDAR_EMPTY_SCAN: 'publish-empty' }).update(nan);
    expect(flagged).toMatchObject({ objects: [], reliability: 0, inputPointCount: 5000 });
  });

  it('on KITTI 000000 finds the labelled pedestrian (8.9 m ahead) within 1 m of the label centre', () => {
    if (!hasKitti) {
      console.warn('skipped: ../shared/data/kitti absent');
      return;
    }
    const scan = overTheWire(kittiScan('000000'));
    const [out] = core().update(scan);
    // The file holds 16-byte points: its size says how many.
    const bytes = readFileSync(path.join(KITTI_DIR, 'velodyne', '000000.bin')).length;
    expect(out?.inputPointCount).toBe(bytes / 16);
    const calib = parseKittiCalib(readFileSync(path.join(KITTI_DIR, 'calib', '000000.txt'), 'utf8'));
    const labels = parseKittiLabels(readFileSync(path.join(KITTI_DIR, 'label_2', '000000.txt'), 'utf8'));
    const pedestrian = labels.find((l) => l.type === 'Pedestrian');
    expect(pedestrian).toBeDefined();
    if (pedestrian === undefined || out === undefined) return;
    const [px, py, pz] = labelCenterVelo(calib, pedestrian);
    const nearest = out.objects.reduce(
      (best, o) => {
        const d = Math.hypot(o.centroid.x - px, o.centroid.y - py, o.centroid.z - pz);
        return d < best.d ? { d, o } : best;
      },
      { d: Infinity, o: out.objects[0] },
    );
    expect(nearest.d).toBeLessThan(1);
    expect(nearest.o?.classHint).toBe('pedestrian');
    expect(out.objects.length).toBeGreaterThan(10);
    expect(out.reliability).toBeGreaterThan(0.9);
  });

  it("publishes the few returns of far pedestrians as fragments, where no object is reported (simulator truth)", () => {
    // The simulator's 32-beam rig on an urban-day street: each pedestrian 30–50 m away with at least 3 raw returns on
    // it. Without fragments the worker publishes nothing at their place for most of them (too few voxels once the
    // radius filter has run); a fragment within the pedestrian's truth footprint (+0.5 m) is a range measurement.
    const sim = new CoreSimulation({ ...presetScenario('urban-day'), durationS: 5 }, { seed: 401, sensors: ['lidar'] });
    const truth = new Map<number, { x: number; y: number; points: number; cls: string }[]>();
    const sweeps: LidarScan[] = [];
    for (const r of sim.records()) {
      if (r.kind === 'truth' && r.forSensorId === 'lidar_top') {
        truth.set(r.forSeq, r.objects.map((o) => ({ x: o.boxEgo.centerM[0], y: o.boxEgo.centerM[1], points: o.lidar?.points ?? 0, cls: o.objectClass })));
      } else if (r.kind === 'lidar') sweeps.push(toLidarScan(r));
    }
    const [mountX, mountY] = [1.2, 0]; // the urban-day rig's LIDAR mount in the ego frame (scenario.ts)
    let far = 0;
    let withObject = 0;
    let withFragment = 0;
    const worker = core();
    for (const scan of sweeps) {
      const [out] = worker.update(overTheWire(scan));
      if (out === undefined) continue;
      const decoded = objects.decode(objects.encode(out));
      for (const t of truth.get(scan.seq) ?? []) {
        const range = Math.hypot(t.x, t.y);
        if (t.cls !== 'pedestrian' || range < 30 || range > 50 || t.points < 3) continue;
        far++;
        const near = (p: { x: number; y: number }, m: number) => Math.hypot(p.x + mountX - t.x, p.y + mountY - t.y) < m;
        if (decoded.objects.some((o) => near(o.centroid, 1.5))) withObject++;
        else if ((decoded.fragments ?? []).some((f) => near(f.centroid, 0.85))) withFragment++;
      }
    }
    expect(far).toBeGreaterThan(20);
    // Measured on this scene: 37 such appearances, 4 with an object, 32 more with a fragment (97 %).
    expect(withObject / far).toBeLessThan(0.3);
    expect((withObject + withFragment) / far).toBeGreaterThan(0.85);
    // With fragments off, the same sweeps carry none.
    const [first] = sweeps;
    if (first === undefined) return;
    const [off] = core({ SENSORFUSE_LIDAR_LIDAR_FRAGMENTS_FROM_M: '0' }).update(overTheWire(first));
    expect(off?.fragments).toEqual([]);
  });
});
