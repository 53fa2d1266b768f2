import type { Vec3 } from './geometry.js';
import { rotateVec, transposeMat3 } from './geometry.js';
import type { Rng } from './rng.js';
import type { GnssConfig, ImuConfig, MagnetometerConfig, Scenario } from './scenario.js';
import type { World } from './world.js';
import { GRAVITY_MPS2 } from './world.js';

export interface ImuSample {
  /** Specific force in the body frame (m/s²): at rest on level ground it reads +g on z. */
  readonly linearAcceleration: Vec3;
  /** Angular rate in the body frame (rad/s). */
  readonly angularVelocity: Vec3;
  /** Magnetometer reading in the body frame (tesla), only on the samples where the magnetometer is due. */
  readonly magneticFieldT?: Vec3;
}

/**
 * The Earth's field in the world frame (x east, y north, z up), tesla: horizontal part
 * F·cos(inclination) towards magnetic north (declination east of true north), vertical part
 * F·sin(inclination) downwards.
 */
export function earthFieldEnuT(m: MagnetometerConfig): Vec3 {
  const f = m.fieldStrengthUT * 1e-6;
  const inc = (m.inclinationDeg * Math.PI) / 180;
  const dec = (m.declinationDeg * Math.PI) / 180;
  const h = f * Math.cos(inc);
  return [h * Math.sin(dec), h * Math.cos(dec), -f * Math.sin(inc)];
}

export interface GnssFix {
  readonly latitudeDeg: number;
  readonly longitudeDeg: number;
  readonly altitudeM: number;
  readonly horizontalSigmaM: number;
  readonly verticalSigmaM: number;
  /** Velocity east, north, up (m/s). */
  readonly velocityEnuMps: Vec3;
  readonly fixType: 'rtk' | 'single' | 'multipath';
}

/**
 * An IMU at the ego origin with body-aligned axes: the true specific force R^T (a - g) and body
 * rates, plus a per-axis bias (initial offset and random walk) and white noise. Its magnetometer
 * reads R^T · Earth field + a constant hard-iron offset + white noise on every n-th sample.
 */
export class ImuModel {
  private readonly cfg: ImuConfig;
  private readonly accelBias: [number, number, number];
  private readonly gyroBias: [number, number, number];
  private readonly rng: Rng;
  /** Own stream, so switching the magnetometer on or off leaves the accelerometer and gyro bytes unchanged. */
  private readonly magRng: Rng;
  private readonly hardIronT: Vec3;
  private readonly earthFieldT: Vec3;
  /** Every n-th IMU sample carries a field (0 = never). */
  private readonly magEvery: number;
  private sampleIndex = 0;

  constructor(cfg: ImuConfig, rng: Rng, magRng: Rng) {
    this.cfg = cfg;
    this.rng = rng;
    this.magRng = magRng;
    const m = cfg.magnetometer;
    this.magEvery = m.rateHz > 0 ? Math.round(cfg.rateHz / m.rateHz) : 0;
    this.earthFieldT = earthFieldEnuT(m);
    const hi = m.hardIronSigmaUT * 1e-6;
    this.hardIronT = [magRng.normal(0, hi), magRng.normal(0, hi), magRng.normal(0, hi)];
    this.accelBias = [rng.normal(0, cfg.accelBiasSigma), rng.normal(0, cfg.accelBiasSigma), rng.normal(0, cfg.accelBiasSigma)];
    this.gyroBias = [rng.normal(0, cfg.gyroBiasSigma), rng.normal(0, cfg.gyroBiasSigma), rng.normal(0, cfg.gyroBiasSigma)];
  }

  /** The current biases (ground truth, for tests and evaluation). */
  biases(): { accel: Vec3; gyro: Vec3 } {
    return { accel: [...this.accelBias], gyro: [...this.gyroBias] };
  }

  /** The magnetometer's hard-iron offset in tesla (ground truth; a calibrated rig subtracts it). */
  hardIronBiasT(): Vec3 {
    return [...this.hardIronT];
  }

  sample(world: World, tS: number): ImuSample {
    const cfg = this.cfg;
    const rng = this.rng;
    const k = world.egoKinematics(tS);
    const a = k.accelerationWorld;
    const f = rotateVec(transposeMat3(k.rotation), [a[0], a[1], a[2] + GRAVITY_MPS2]);
    const w = k.angularVelocityBody;
    const dt = 1 / cfg.rateHz;
    const sa = cfg.accelBiasWalk * Math.sqrt(dt);
    const sg = cfg.gyroBiasWalk * Math.sqrt(dt);
    const magDue = this.magEvery > 0 && this.sampleIndex % this.magEvery === 0;
    this.sampleIndex++;
    const out: { linearAcceleration: Vec3; angularVelocity: Vec3; magneticFieldT?: Vec3 } = {
      linearAcceleration: [
        f[0] + this.accelBias[0] + rng.normal(0, cfg.accelNoiseSigma),
        f[1] + this.accelBias[1] + rng.normal(0, cfg.accelNoiseSigma),
        f[2] + this.accelBias[2] + rng.normal(0, cfg.accelNoiseSigma),
      ] as Vec3,
      angularVelocity: [
        w[0] + this.gyroBias[0] + rng.normal(0, cfg.gyroNoiseSigma),
        w[1] + this.gyroBias[1] + rng.normal(0, cfg.gyroNoiseSigma),
        w[2] + this.gyroBias[2] + rng.normal(0, cfg.gyroNoiseSigma),
      ] as Vec3,
    };
    if (magDue) {
      const b = rotateVec(transposeMat3(k.rotation), this.earthFieldT);
      const sm = cfg.magnetometer.noiseSigmaUT * 1e-6;
      const mr = this.magRng;
      out.magneticFieldT = [
        b[0] + this.hardIronT[0] + mr.normal(0, sm),
        b[1] + this.hardIronT[1] + mr.normal(0, sm),
        b[2] + this.hardIronT[2] + mr.normal(0, sm),
      ];
    }
    for (let i = 0; i < 3; i++) {
      this.accelBias[i] = (this.accelBias[i] ?? 0) + rng.normal(0, sa);
      this.gyroBias[i] = (this.gyroBias[i] ?? 0) + rng.normal(0, sg);
    }
    return out;
  }
}

const WGS84_A = 6_378_137;
const WGS84_E2 = 6.694_379_990_14e-3;

/** Local east/north/up metres around an origin to WGS84 latitude/longitude/altitude (tangent-plane approximation, < 1 cm over a few km). */
export function enuToGeodetic(origin: Scenario['origin'], e: number, n: number, u: number): { latitudeDeg: number; longitudeDeg: number; altitudeM: number } {
  const lat0 = (origin.latitudeDeg * Math.PI) / 180;
  const s = Math.sin(lat0);
  const d = 1 - WGS84_E2 * s * s;
  const rn = (WGS84_A * (1 - WGS84_E2)) / (d * Math.sqrt(d)); // meridian radius
  const re = WGS84_A / Math.sqrt(d); // prime vertical radius
  return {
    latitudeDeg: origin.latitudeDeg + (n / (rn + origin.altitudeM)) * (180 / Math.PI),
    longitudeDeg: origin.longitudeDeg + (e / ((re + origin.altitudeM) * Math.cos(lat0))) * (180 / Math.PI),
    altitudeM: origin.altitudeM + u,
  };
}

/** The inverse of enuToGeodetic. */
export function geodeticToEnu(origin: Scenario['origin'], latitudeDeg: number, longitudeDeg: number, altitudeM: number): Vec3 {
  const lat0 = (origin.latitudeDeg * Math.PI) / 180;
  const s = Math.sin(lat0);
  const d = 1 - WGS84_E2 * s * s;
  const rn = (WGS84_A * (1 - WGS84_E2)) / (d * Math.sqrt(d));
  const re = WGS84_A / Math.sqrt(d);
  return [
    ((longitudeDeg - origin.longitudeDeg) * Math.PI) / 180 * (re + origin.altitudeM) * Math.cos(lat0),
    ((latitudeDeg - origin.latitudeDeg) * Math.PI) / 180 * (rn + origin.altitudeM),
    altitudeM - origin.altitudeM,
  ];
}

/** A GNSS receiver at the ego origin: Gaussian position noise, occasional multipath jumps lasting a few fixes. */
export class GnssModel {
  private readonly cfg: GnssConfig;
  private readonly rng: Rng;
  private multipath: { left: number; offset: Vec3 } = { left: 0, offset: [0, 0, 0] };

  constructor(cfg: GnssConfig, rng: Rng) {
    this.cfg = cfg;
    this.rng = rng;
  }

  sample(world: World, tS: number): GnssFix {
    const cfg = this.cfg;
    const rng = this.rng;
    const k = world.egoKinematics(tS);
    const p = k.pose.position;
    if (this.multipath.left === 0 && rng.chance(cfg.multipathProbability)) {
      const dir = rng.uniform(0, 2 * Math.PI);
      const mag = cfg.multipathErrorM * rng.uniform(0.5, 1.5);
      this.multipath = { left: rng.int(1, 5), offset: [mag * Math.cos(dir), mag * Math.sin(dir), rng.normal(0, mag / 2)] };
    }
    const mp = this.multipath.left > 0 ? this.multipath.offset : ([0, 0, 0] as Vec3);
    const fixType = this.multipath.left > 0 ? 'multipath' : 'single';
    if (this.multipath.left > 0) this.multipath.left--;
    const e = p[0] + rng.normal(0, cfg.horizontalSigmaM) + mp[0];
    const n = p[1] + rng.normal(0, cfg.horizontalSigmaM) + mp[1];
    const u = p[2] + rng.normal(0, cfg.verticalSigmaM) + mp[2];
    const geo = enuToGeodetic(world.scenario.origin, e, n, u);
    const v = k.velocityWorld;
    return {
      ...geo,
      horizontalSigmaM: cfg.horizontalSigmaM,
      verticalSigmaM: cfg.verticalSigmaM,
      velocityEnuMps: [v[0] + rng.normal(0, 0.05), v[1] + rng.normal(0, 0.05), v[2] + rng.normal(0, 0.05)],
      fixType,
    };
  }
}
