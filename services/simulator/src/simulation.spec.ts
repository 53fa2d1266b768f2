import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SimRecord } from './core/records.js';
import { InvalidScenarioError, resolveScenario } from './core/scenario.js';
import { PRESET_NAMES, parseScenario, presetScenario } from './core/presets.js';
import { CoreSimulation } from './core/simulation-core.js';
import type { PacingClock } from './simulation.js';
import { createSimulation } from './simulation.js';

function digest(records: Iterable<SimRecord>): { hash: string; count: number } {
  const h = createHash('sha256');
  let count = 0;
  for (const r of records) {
    count++;
    const { ...meta } = r as unknown as Record<string, unknown>;
    for (const [k, v] of Object.entries(meta)) {
      if (v instanceof Uint8Array || v instanceof Int16Array) h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      else h.update(`${k}=${JSON.stringify(v)};`);
    }
  }
  return { hash: h.digest('hex'), count };
}

describe('determinism', () => {
  const sc = { ...presetScenario('night-rain'), durationS: 0.6 };

  it('gives byte-identical streams for the same seed and different ones for another seed', () => {
    const a = digest(new CoreSimulation(sc, { seed: 42 }).records());
    const b = digest(new CoreSimulation(sc, { seed: 42 }).records());
    const c = digest(new CoreSimulation(sc, { seed: 43 }).records());
    expect(a.count).toBeGreaterThan(100);
    expect(b).toEqual(a);
    expect(c.hash).not.toBe(a.hash);
  });

  it('encodes identical JPEG bytes for the same seed', async () => {
    const hashJpegs = async (seed: number): Promise<string> => {
      const h = createHash('sha256');
      for await (const r of createSimulation({ ...sc, durationS: 0.3 }, { seed, sensors: ['camera'] })) {
        if (r.kind !== 'camera') continue;
        expect(r.encoding).toBe('jpeg');
        expect([r.data[0], r.data[1]]).toEqual([0xff, 0xd8]); // JPEG SOI marker
        h.update(r.data);
      }
      return h.digest('hex');
    };
    expect(await hashJpegs(9)).toBe(await hashJpegs(9));
    expect(await hashJpegs(10)).not.toBe(await hashJpegs(9));
  });
});

describe('record stream', () => {
  it('delivers each sensor at its rate with increasing seq and capture time, in capture order without faults', () => {
    const sc = { ...presetScenario('urban-day'), durationS: 1 };
    const per = new Map<string, SimRecord[]>();
    let prev = -Infinity;
    for (const r of new CoreSimulation(sc, { seed: 1 }).records()) {
      expect(r.publishTimeUs).toBeGreaterThanOrEqual(prev);
      prev = r.publishTimeUs;
      per.set(`${r.kind}:${r.sensorId}`, [...(per.get(`${r.kind}:${r.sensorId}`) ?? []), r]);
    }
    // 1 s at 10 Hz camera and LIDAR, 20 audio chunks of 50 ms, 200 Hz IMU, 10 Hz GNSS.
    expect(per.get('camera:camera_front')?.length).toBe(10);
    expect(per.get('lidar:lidar_top')?.length).toBe(10);
    expect(per.get('audio:mic_array')?.length).toBe(20);
    expect(per.get('imu:imu')?.length).toBe(200);
    expect(per.get('gnss:gnss')?.length).toBe(10);
    const imu = per.get('imu:imu') ?? [];
    imu.forEach((r, i) => {
      expect(r.seq).toBe(i);
      expect(r.captureTimeUs).toBe(sc.startTimeUs + i * 5000);
    });
    // Truth is its own stream: one record per camera frame, sweep and audio chunk, numbered in delivery order.
    const truth = per.get('truth:truth') ?? [];
    expect(truth.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const audio = per.get('audio:mic_array') ?? [];
    for (const r of audio) if (r.kind === 'audio') expect(r.data.byteLength).toBe(800 * 4 * 2);
  });

  it('applies transport faults: outages, clock offset and drift, drops, duplicates and out-of-order delivery', () => {
    const sc = resolveScenario({
      durationS: 2,
      faults: {
        camera_front: { outages: [{ startS: 1, endS: 1e9 }] },
        gnss: { outages: [{ startS: 0.5, endS: 1.5 }] },
        lidar_top: { clockOffsetUs: 3000, clockDriftPpm: 50 },
        imu: { dropProbability: 0.05, duplicateProbability: 0.05, reorderProbability: 0.05, jitterUs: 2000 },
      },
    });
    const recs = [...new CoreSimulation(sc, { seed: 8, sensors: ['camera', 'gnss', 'lidar', 'imu'], truth: 'omit' }).records()];
    const rel = (r: SimRecord): number => (r.trueCaptureTimeUs - sc.startTimeUs) / 1e6;
    const cams = recs.filter((r) => r.kind === 'camera');
    expect(cams.length).toBe(10);
    expect(cams.every((r) => rel(r) < 1)).toBe(true);
    const gnss = recs.filter((r) => r.kind === 'gnss');
    expect(gnss.map((r) => r.seq)).toEqual([0, 1, 2, 3, 4, 15, 16, 17, 18, 19]);
    // Sensor clock = true + 3000 µs + 50 ppm of the elapsed time: at 1.9 s that is 3000 + 95 µs.
    const lidar = recs.filter((r) => r.kind === 'lidar');
    expect(lidar.map((r) => r.captureTimeUs - r.trueCaptureTimeUs)).toEqual([3000, 3005, 3010, 3015, 3020, 3025, 3030, 3035, 3040, 3045, 3050, 3055, 3060, 3065, 3070, 3075, 3080, 3085, 3090, 3095]);
    const imu = recs.filter((r) => r.kind === 'imu');
    const seqs = imu.map((r) => r.seq);
    const unique = new Set(seqs);
    expect(unique.size).toBeLessThan(400); // some dropped
    expect(unique.size).toBeGreaterThan(340);
    expect(seqs.length).toBeGreaterThan(unique.size); // some duplicated
    const outOfOrder = seqs.filter((s, i) => i > 0 && s < (seqs[i - 1] ?? 0)).length;
    expect(outOfOrder).toBeGreaterThan(3);
  });

  it('paces records in real time through the injected clock', async () => {
    let now = 5_000_000;
    const sleeps: number[] = [];
    const clock: PacingClock = {
      nowUs: () => now,
      sleepUntilUs: (us) => {
        sleeps.push(us);
        now = Math.max(now, us);
        return Promise.resolve();
      },
    };
    const sc = { ...presetScenario('urban-day'), durationS: 0.1 };
    const seen: number[] = [];
    for await (const r of createSimulation(sc, { seed: 1, pacing: 'real-time', clock, sensors: ['imu'] })) seen.push(r.publishTimeUs - sc.startTimeUs);
    expect(seen).toEqual([0, 5000, 10000, 15000, 20000, 25000, 30000, 35000, 40000, 45000, 50000, 55000, 60000, 65000, 70000, 75000, 80000, 85000, 90000, 95000]);
    expect(sleeps).toEqual(seen.map((t) => 5_000_000 + t));
  });
});

describe('scenarios', () => {
  it('ships the named presets and loads each one', () => {
    for (const name of PRESET_NAMES) expect(presetScenario(name).name).toBe(name);
    expect(presetScenario('crowded').traffic).toEqual({ car: 16, truck: 2, pedestrian: 22, cyclist: 6, animal: 4 });
    expect(presetScenario('sensor-dropout').faults.gnss?.outages).toEqual([{ startS: 8, endS: 18 }]);
  });

  it('has 50 objects with truth in the crowded preset', () => {
    const core = new CoreSimulation({ ...presetScenario('crowded'), durationS: 0.1 }, { seed: 2, sensors: ['lidar'] });
    const truth = [...core.records()].find((r) => r.kind === 'truth');
    expect(truth?.kind === 'truth' ? truth.objects.length : 0).toBe(50);
  });

  it('rejects unknown keys, wrong types and out-of-range values with a typed error that names the key', () => {
    expect(() => parseScenario('{"durationS": 5, "sensors": {"camera": {"fps": 10}}}')).toThrow(/sensors\.camera\.fps/);
    expect(() => parseScenario('{"durationS": "long"}')).toThrow(InvalidScenarioError);
    expect(() => parseScenario('{"sensors": {"lidar": {"beams": 16}}}')).toThrow(/beams must be 32 or 64, found 16/);
    expect(() => parseScenario('{not json')).toThrow(InvalidScenarioError);
    expect(() => presetScenario('moon-base')).toThrow(/unknown scenario preset "moon-base"; expected one of .*urban-day/);
  });
});
