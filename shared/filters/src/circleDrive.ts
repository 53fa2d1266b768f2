/**
 * A synthetic drive with analytic ground truth, for tests and benchmarks until the simulator
 * exists: a car at rest, then accelerating (2 m/s²) onto a circle of `radiusM` and driving at
 * `speedMS`. Produces noisy IMU (white noise + constant bias + bias random walk), GNSS (position
 * and velocity) and magnetometer samples, with the truth at every IMU time.
 */
import { seededRandom } from '@sensorfuse/random';
import type { GnssSample, ImuSample, MagSample, MotionSample } from './types.js';

export interface CircleDriveOptions {
  readonly seed: number;
  readonly startUs: number;
  readonly durationS: number;
  readonly imuRateHz: number;
  readonly gnssRateHz: number;
  readonly magRateHz: number;
  readonly radiusM: number;
  readonly speedMS: number;
  readonly gyroNoiseDensity: number;
  readonly accelNoiseDensity: number;
  readonly gyroBiasStd: number;
  readonly accelBiasStd: number;
  readonly gyroBiasRandomWalk: number;
  readonly accelBiasRandomWalk: number;
  readonly gnssHorizontalStdM: number;
  readonly gnssVerticalStdM: number;
  readonly gnssVelocityStdMS: number;
  readonly magNoise: number;
  /** GNSS samples inside [fromS, toS) are dropped (an outage). */
  readonly gnssOutage?: { readonly fromS: number; readonly toS: number };
  readonly originLatDeg: number;
  readonly originLonDeg: number;
  readonly originHeightM: number;
}

export interface TruthPoint {
  readonly timeUs: number;
  readonly position: [number, number, number];
  readonly velocity: [number, number, number];
  readonly yawRad: number;
}

const G = 9.80665;
const REST_S = 2;
const ACCEL_MS2 = 2;
const MAG_ENU: [number, number, number] = [0, 0.2, -0.45];

/**
 * Seeded Gaussian draws: Box–Muller over `seededRandom` (mulberry32). A first uniform of 0 is clamped
 * (not redrawn as `gaussian` from @sensorfuse/random does), so the drives stay the ones tuned on.
 */
export function gaussianSource(seed: number): () => number {
  const uniform = seededRandom(seed);
  return () => {
    const u = Math.max(uniform(), 1e-300);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
  };
}

function arc(t: number, speed: number): { s: number; v: number; a: number } {
  const rampS = speed / ACCEL_MS2;
  if (t < REST_S) return { s: 0, v: 0, a: 0 };
  const u = t - REST_S;
  if (u < rampS) return { s: 0.5 * ACCEL_MS2 * u * u, v: ACCEL_MS2 * u, a: ACCEL_MS2 };
  return { s: 0.5 * ACCEL_MS2 * rampS * rampS + speed * (u - rampS), v: speed, a: 0 };
}

/** Truth at time t seconds after the start: ENU position/velocity and yaw (body x from east). */
export function circleTruth(t: number, radiusM: number, speedMS: number): { p: [number, number, number]; v: [number, number, number]; yaw: number; forwardAccel: number; speed: number } {
  const { s, v, a } = arc(t, speedMS);
  const theta = s / radiusM;
  // Start at (R, 0) heading north; the centre is at the origin, the car turns left.
  return {
    p: [radiusM * Math.cos(theta), radiusM * Math.sin(theta), 0],
    v: [-v * Math.sin(theta), v * Math.cos(theta), 0],
    yaw: theta + Math.PI / 2,
    forwardAccel: a,
    speed: v,
  };
}

export function simulateCircleDrive(o: CircleDriveOptions): { samples: MotionSample[]; truth: TruthPoint[] } {
  const gauss = gaussianSource(o.seed);
  const samples: MotionSample[] = [];
  const truth: TruthPoint[] = [];
  const dt = 1 / o.imuRateHz;
  const gb = [gauss() * o.gyroBiasStd, gauss() * o.gyroBiasStd, gauss() * o.gyroBiasStd];
  const ab = [gauss() * o.accelBiasStd, gauss() * o.accelBiasStd, gauss() * o.accelBiasStd];
  const gSigma = o.gyroNoiseDensity / Math.sqrt(dt);
  const aSigma = o.accelNoiseDensity / Math.sqrt(dt);
  const steps = Math.round(o.durationS * o.imuRateHz);
  const gnssEvery = Math.round(o.imuRateHz / o.gnssRateHz);
  const magEvery = Math.round(o.imuRateHz / o.magRateHz);
  // Local tangent-plane inverse (meridian and prime-vertical radii): mm-accurate over a few hundred metres.
  const a = 6_378_137;
  const e2 = (1 / 298.257223563) * (2 - 1 / 298.257223563);
  const lat0 = (o.originLatDeg * Math.PI) / 180;
  const w = Math.sqrt(1 - e2 * Math.sin(lat0) ** 2);
  const mRad = (a * (1 - e2)) / w ** 3 + o.originHeightM;
  const nRad = a / w + o.originHeightM;
  for (let k = 0; k <= steps; k++) {
    const t = k * dt;
    const timeUs = o.startUs + Math.round(t * 1e6);
    const tr = circleTruth(t, o.radiusM, o.speedMS);
    // Shift so the drive starts at the ENU origin.
    const pos: [number, number, number] = [tr.p[0] - o.radiusM, tr.p[1], tr.p[2]];
    truth.push({ timeUs, position: pos, velocity: tr.v, yawRad: tr.yaw });
    for (let i = 0; i < 3; i++) {
      gb[i] = (gb[i] ?? 0) + gauss() * o.gyroBiasRandomWalk * Math.sqrt(dt);
      ab[i] = (ab[i] ?? 0) + gauss() * o.accelBiasRandomWalk * Math.sqrt(dt);
    }
    const omega = tr.speed / o.radiusM;
    const imu: ImuSample = {
      kind: 'imu',
      captureTimeUs: timeUs,
      gyroRadS: [(gb[0] ?? 0) + gauss() * gSigma, (gb[1] ?? 0) + gauss() * gSigma, omega + (gb[2] ?? 0) + gauss() * gSigma],
      accelMS2: [
        tr.forwardAccel + (ab[0] ?? 0) + gauss() * aSigma,
        tr.speed * omega + (ab[1] ?? 0) + gauss() * aSigma,
        G + (ab[2] ?? 0) + gauss() * aSigma,
      ],
    };
    samples.push(imu);
    if (k % magEvery === 0) {
      const c = Math.cos(tr.yaw);
      const s = Math.sin(tr.yaw);
      const mag: MagSample = {
        kind: 'mag',
        captureTimeUs: timeUs,
        fieldBody: [c * MAG_ENU[0] + s * MAG_ENU[1] + gauss() * o.magNoise, -s * MAG_ENU[0] + c * MAG_ENU[1] + gauss() * o.magNoise, MAG_ENU[2] + gauss() * o.magNoise],
      };
      samples.push(mag);
    }
    const inOutage = o.gnssOutage !== undefined && t >= o.gnssOutage.fromS && t < o.gnssOutage.toS;
    if (k % gnssEvery === 0 && !inOutage) {
      const e = pos[0] + gauss() * o.gnssHorizontalStdM;
      const n = pos[1] + gauss() * o.gnssHorizontalStdM;
      const u = pos[2] + gauss() * o.gnssVerticalStdM;
      const gnss: GnssSample = {
        kind: 'gnss',
        captureTimeUs: timeUs,
        latDeg: o.originLatDeg + (n / mRad) * (180 / Math.PI),
        lonDeg: o.originLonDeg + (e / (nRad * Math.cos(lat0))) * (180 / Math.PI),
        heightM: o.originHeightM + u,
        horizontalStdM: o.gnssHorizontalStdM,
        verticalStdM: o.gnssVerticalStdM,
        velocityEnuMS: [tr.v[0] + gauss() * o.gnssVelocityStdMS, tr.v[1] + gauss() * o.gnssVelocityStdMS, tr.v[2] + gauss() * o.gnssVelocityStdMS],
        velocityStdMS: o.gnssVelocityStdMS,
      };
      samples.push(gnss);
    }
  }
  return { samples, truth };
}

export const DEFAULT_CIRCLE_DRIVE: CircleDriveOptions = Object.freeze({
  seed: 1,
  startUs: 1_700_000_000_000_000,
  durationS: 80,
  imuRateHz: 100,
  gnssRateHz: 10,
  magRateHz: 10,
  radiusM: 50,
  speedMS: 10,
  gyroNoiseDensity: 2e-3,
  accelNoiseDensity: 2e-2,
  gyroBiasStd: 0.003,
  accelBiasStd: 0.05,
  gyroBiasRandomWalk: 2e-5,
  accelBiasRandomWalk: 2e-4,
  gnssHorizontalStdM: 1,
  gnssVerticalStdM: 2,
  gnssVelocityStdMS: 0.2,
  magNoise: 0.01,
  originLatDeg: 48.137,
  originLonDeg: 11.575,
  originHeightM: 520,
});
