import { InvalidSampleValueError, InvalidTimestampError } from '@sensorfuse/filters';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { egoStateSchema, motionSampleSchema, type EgoState, type MotionSample } from '@sensorfuse/schemas';
import { describe, expect, it } from 'vitest';
import { loadMotionConfig } from '../config.js';
import { G, T0, gnss, imu, rollPitch, standingStill } from '../samples.spec-helper.js';
import { MotionCore } from './motion-core.js';
import { motionCoreOptions } from './params.js';

const registry = new SchemaRegistry();
const samples = createCodec<MotionSample>(registry, motionSampleSchema);
const states = createCodec<EgoState>(registry, egoStateSchema);

function core(env: Record<string, string> = {}): MotionCore {
  return new MotionCore(motionCoreOptions(loadMotionConfig(env), () => 7));
}

/** Feeds samples through the Avro codec (as the wire delivers them) and collects the outputs. */
function run(c: MotionCore, input: readonly MotionSample[]): EgoState[] {
  return input.flatMap((s) => c.update(samples.decode(samples.encode(s))));
}

const DEG = Math.PI / 180;
/** Metres per degree of latitude near 48° N on WGS-84: M = a(1−e²)/(1−e² sin²φ)^1.5 · π/180. */
const M_PER_DEG_LAT = (() => {
  const a = 6378137;
  const e2 = 6.69437999014e-3;
  const s = Math.sin(48.137 * DEG);
  return ((a * (1 - e2)) / (1 - e2 * s * s) ** 1.5) * DEG;
})();

describe('MotionCore', () => {
  it('publishes at the configured rate in capture time: 2 s of 100 Hz IMU at 50 Hz is 100 states, 20 ms apart', () => {
    const out = run(core(), standingStill(2, false));
    expect(out).toHaveLength(100);
    expect(out.map((s) => s.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (let i = 1; i < out.length; i++) expect((out[i]?.captureTimeUs ?? 0) - (out[i - 1]?.captureTimeUs ?? 0)).toBe(20_000);
    const ten = run(core({ SENSORFUSE_MOTION_MOTION_OUTPUT_RATE_HZ: '10' }), standingStill(2, false));
    expect(ten).toHaveLength(20);
    // Every output is a valid EgoState record with an 81-value covariance, symmetric.
    const last = states.decode(states.encode(out[99] as EgoState));
    expect(last.covariance).toHaveLength(81);
    for (let i = 0; i < 9; i++) for (let j = 0; j < 9; j++) expect(last.covariance[i * 9 + j]).toBeCloseTo(last.covariance[j * 9 + i] ?? Number.NaN, 9);
    expect(last).toMatchObject({ sensorId: 'ego_state', frameId: 'enu', publishTimeUs: 7, rigId: 'rig-1' });
  });

  it('levels a rig tilted 30° in roll from gravity alone (specific force [0, g·sin30°, g·cos30°])', () => {
    const input: MotionSample[] = [];
    for (let k = 0; k < 300; k++) input.push(imu(T0 + k * 10_000, [0, G * Math.sin(30 * DEG), G * Math.cos(30 * DEG)], [0, 0, 0], k));
    const last = run(core(), input).at(-1);
    const [roll, pitch] = rollPitch(last?.attitude ?? { x: 0, y: 0, z: 0, w: 1 });
    expect(roll / DEG).toBeCloseTo(30, 0);
    expect(Math.abs(pitch / DEG)).toBeLessThan(0.5);
    // No GNSS: position is unknown, the outputs are prediction only with GNSS timed out never having started.
    expect(last?.predictOnly).toBe(true);
  });

  it('anchors ENU at the first fix, stays at the origin standing still, and rejects a 50 m GNSS jump', () => {
    const c = core();
    const still = run(c, standingStill(5, true));
    const settled = still.at(-1);
    expect(Math.hypot(settled?.position.x ?? 99, settled?.position.y ?? 99)).toBeLessThan(0.5);
    expect(Math.hypot(settled?.velocity.x ?? 99, settled?.velocity.y ?? 99)).toBeLessThan(0.2);
    expect(still.some((s) => !s.predictOnly)).toBe(true);

    // 50 m north: 50 / M_PER_DEG_LAT degrees of latitude.
    const t = T0 + 5_000_000;
    const jumped = run(c, [imu(t, [0, 0, G], [0, 0, 0], 500), gnss(t + 5_000, 48.137 + 50 / M_PER_DEG_LAT, 11.575, 100, 50), ...standingStill(0.2, false, 0, 0, t + 10_000)]);
    expect(jumped.reduce((n, s) => n + s.rejectedMeasurements, 0)).toBe(1);
    expect(Math.abs(jumped.at(-1)?.position.y ?? 99)).toBeLessThan(0.5);
    expect(c.stats().gnssRejected).toBe(1);
  });

  it('follows a fix 10 m east of the anchor when the fixes move there (no jump: consistent motion)', () => {
    const c = core();
    run(c, standingStill(3, true));
    // Then fixes 10 m east (Δlon = 10 / (N cos φ) · 180/π), repeated for 20 s; the IMU still says "no motion",
    // so the filter trades IMU against GNSS; after 20 s of consistent fixes it must sit within 2 m of them.
    const a = 6378137;
    const e2 = 6.69437999014e-3;
    const s = Math.sin(48.137 * DEG);
    const nPrime = a / Math.sqrt(1 - e2 * s * s);
    const dLon = 10 / (nPrime * Math.cos(48.137 * DEG)) / DEG;
    const later = run(c, standingStill(20, true, 48.137, 11.575 + dLon, T0 + 3_000_000));
    expect(Math.abs((later.at(-1)?.position.x ?? 0) - 10)).toBeLessThan(2);
    expect(later.every((o) => Number.isFinite(o.position.x))).toBe(true);
  });

  it('rejects NaN samples with no recent IMU, imputes short NaN holes, and drops no-fix GNSS', () => {
    const c = core();
    expect(() => c.update(imu(T0, [Number.NaN, Number.NaN, Number.NaN]))).toThrow(InvalidSampleValueError);
    run(c, standingStill(0.5, false));
    const holes = run(c, [imu(T0 + 500_000, [0, Number.NaN, G], [0, 0, 0], 50), imu(T0 + 510_000, [0, 0, G], [0, 0, 0], 51)]);
    expect(holes.reduce((n, s) => n + s.imputedSamples, 0)).toBe(1);
    const noFix = gnss(T0 + 520_000, 48, 11);
    if ('sensorfuse.GnssFix' in noFix.payload) noFix.payload['sensorfuse.GnssFix'].fixType = 'no_fix';
    expect(c.update(noFix)).toEqual([]);
    expect(c.stats().noFix).toBe(1);
    expect(() => c.update(gnss(T0 + 530_000, 200, 11))).toThrow(InvalidSampleValueError);
  });

  it('rejects a capture time far ahead of the broker time with reason "future"', () => {
    const c = core();
    const error = (() => {
      try {
        c.update(imu(T0 + 3_600_000_000, [0, 0, G]), { receivedAtUs: T0 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidTimestampError);
    expect((error as InvalidTimestampError).reason).toBe('future');
  });

  it('never publishes NaN over 10k random bad and good samples', () => {
    const c = core();
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const weird = [Number.NaN, Infinity, -Infinity, 1e308, -1e308, 0];
    const pick = (): number => (rnd() < 0.2 ? (weird[Math.floor(rnd() * weird.length)] ?? 0) : (rnd() - 0.5) * 40);
    let published = 0;
    let rejected = 0;
    for (let k = 0; k < 10_000; k++) {
      const t = T0 + k * 10_000;
      const sample = rnd() < 0.1 ? gnss(t, 48 + pick() * 1e-5, 11 + pick() * 1e-5) : imu(t, [pick(), pick(), G + pick()], [pick() * 0.1, pick() * 0.1, pick() * 0.1]);
      try {
        for (const s of c.update(sample)) {
          published++;
          const numbers = [s.position.x, s.position.y, s.position.z, s.velocity.x, s.velocity.y, s.velocity.z, s.attitude.w, s.attitude.x, ...s.covariance];
          expect(numbers.every(Number.isFinite)).toBe(true);
        }
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidSampleValueError);
        rejected++;
      }
    }
    expect(published).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(0);
  });
});
