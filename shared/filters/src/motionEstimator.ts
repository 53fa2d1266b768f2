/* eslint-disable @typescript-eslint/no-non-null-assertion -- fixed-size typed-array reads */
/**
 * MotionEstimator: the pure core of the motion worker. Feed it IMU, GNSS and magnetometer samples
 * one at a time (`update(sample)`); it validates them, keeps them in time order (a short history
 * and filter snapshots let a late sample be re-applied in order), drives the attitude filter until
 * a GNSS anchor exists and the INS filter afterwards, and returns an EgoState at the configured
 * output rate. Bad samples throw typed PoisonRecordErrors (for the DLQ); everything else is counted.
 */
import { isPlausibleTimeUs, type Micros } from '@sensorfuse/time';
import { AttitudeFilter } from './attitudeFilter.js';
import { chiSquareQuantile } from './chiSquare.js';
import { InvalidSampleValueError, InvalidTimestampError } from './errors.js';
import { EnuFrame } from './geodetic.js';
import { INS_STATES, InsFilter } from './insFilter.js';
import { identity, repairCovariance, zeros } from './linalg.js';
import { PoseHistory } from './poseHistory.js';
import { quatFromEuler, quatToEuler, quatToMatrix, wrapAngle } from './quaternion.js';
import type { EgoMotion, EgoState, GnssSample, MotionFlag, MotionMode, MotionSample, MotionStats, Vec3 } from './types.js';

export interface MotionEstimatorParams {
  readonly gravityMS2: number;
  /** Gyro white noise density, rad/s/√Hz. */
  readonly gyroNoiseDensity: number;
  /** Accelerometer white noise density, m/s²/√Hz. */
  readonly accelNoiseDensity: number;
  readonly gyroBiasRandomWalk: number;
  readonly accelBiasRandomWalk: number;
  readonly initialGyroBiasStd: number;
  readonly initialAccelBiasStd: number;
  readonly initialAttitudeStdRad: number;
  readonly gravityDirectionStd: number;
  readonly gravityDynamicGain: number;
  readonly gravityUpdatePeriodUs: Micros;
  /** INS covariance propagation interval (IMU readings are averaged over it); 0 = every sample. */
  readonly covariancePeriodUs: Micros;
  readonly magHeadingStdRad: number;
  readonly magDeclinationRad: number;
  /** Probability of the chi-square gate for GNSS, heading and gravity updates. */
  readonly gateProbability: number;
  /** After this many consecutive gated fixes the position is re-anchored on GNSS. */
  readonly gnssResetAfterRejections: number;
  readonly anchorMaxHorizontalStdM: number;
  readonly minCourseSpeedMS: number;
  /**
   * Without a magnetometer or GNSS velocity the heading comes from the course between two fixes:
   * it is taken once its standard deviation (√2·σ_horizontal / displacement) is at most this.
   */
  readonly courseMaxHeadingStdRad: number;
  /** The older fix of that pair is at most this much older than the newer one. */
  readonly courseMaxBaselineUs: Micros;
  readonly defaultGnssStdM: number;
  readonly defaultGnssVelocityStdMS: number;
  readonly initialVelocityStdMS: number;
  readonly gnssTimeoutUs: Micros;
  readonly magTimeoutUs: Micros;
  readonly imuTimeoutUs: Micros;
  /** IMU gaps up to this are bridged by interpolating the readings; longer ones coast. */
  readonly imuMaxInterpolationGapUs: Micros;
  /** Process noise while coasting without IMU data. */
  readonly coastAccelStdMS2: number;
  readonly coastRateStdRadS: number;
  readonly gyroRangeRadS: number;
  readonly accelRangeMS2: number;
  /** Samples up to this much older than the newest are re-applied in order; older ones are late. */
  readonly lagUs: Micros;
  readonly snapshotIntervalUs: Micros;
  readonly replayCapacity: number;
  /** A sample this far ahead of the newest accepted one is rejected as 'future'. */
  readonly maxForwardJumpUs: Micros;
  /** A sample whose capture time is this far after the time it was received (when given) is 'future'. */
  readonly maxAheadOfReceiveUs: Micros;
  /** After this many consecutive 'future' rejections the estimator restarts at the new time. */
  readonly resyncAfterRejections: number;
  readonly outputPeriodUs: Micros;
  readonly poseHistoryUs: Micros;
  readonly poseIntervalUs: Micros;
  /** Variance reported for states the current mode does not estimate (and the clamp for runaway ones). */
  readonly unknownVariance: number;
}

export const DEFAULT_MOTION_PARAMS: MotionEstimatorParams = Object.freeze({
  gravityMS2: 9.80665,
  gyroNoiseDensity: 2e-3,
  accelNoiseDensity: 2e-2,
  gyroBiasRandomWalk: 2e-5,
  accelBiasRandomWalk: 2e-4,
  initialGyroBiasStd: 0.01,
  initialAccelBiasStd: 0.2,
  initialAttitudeStdRad: 0.05,
  gravityDirectionStd: 0.05,
  gravityDynamicGain: 2,
  gravityUpdatePeriodUs: 10_000,
  covariancePeriodUs: 5_000,
  magHeadingStdRad: 0.1,
  magDeclinationRad: 0,
  gateProbability: 0.9995,
  gnssResetAfterRejections: 20,
  anchorMaxHorizontalStdM: 20,
  minCourseSpeedMS: 2,
  courseMaxHeadingStdRad: 0.1,
  courseMaxBaselineUs: 5_000_000,
  defaultGnssStdM: 5,
  defaultGnssVelocityStdMS: 0.5,
  initialVelocityStdMS: 5,
  gnssTimeoutUs: 1_000_000,
  magTimeoutUs: 1_000_000,
  imuTimeoutUs: 100_000,
  imuMaxInterpolationGapUs: 50_000,
  coastAccelStdMS2: 2,
  coastRateStdRadS: 0.2,
  gyroRangeRadS: 40,
  accelRangeMS2: 300,
  lagUs: 200_000,
  snapshotIntervalUs: 10_000,
  replayCapacity: 4096,
  maxForwardJumpUs: 60_000_000,
  maxAheadOfReceiveUs: 5_000_000,
  resyncAfterRejections: 50,
  outputPeriodUs: 20_000,
  poseHistoryUs: 10_000_000,
  poseIntervalUs: 5_000,
  unknownVariance: 1e10,
});

/** What the last update did with its sample. */
export type SampleOutcome = 'applied' | 'replayed' | 'late';

type CoreCounters = Pick<
  MotionStats,
  | 'gnssAccepted' | 'gnssRejected' | 'gnssResets' | 'magAccepted' | 'magRejected' | 'gravityRejected'
  | 'imuInterpolatedSteps' | 'imuGaps' | 'covarianceRepairs' | 'numericResets'
>;

function zeroCounters(): CoreCounters {
  return {
    gnssAccepted: 0, gnssRejected: 0, gnssResets: 0, magAccepted: 0, magRejected: 0, gravityRejected: 0,
    imuInterpolatedSteps: 0, imuGaps: 0, covarianceRepairs: 0, numericResets: 0,
  };
}

const MAX_COAST_STEP_S = 0.05;
/** Fixes kept for the course over ground while the heading is unknown: time, east, north, attitude-filter yaw. */
const COURSE_FIXES = 64;
const COURSE_FIELDS = 4;
/** Tilt and roll/pitch gyro-bias uncertainty at a course-over-ground start (≈ 2.5 m/s² of unmodelled acceleration / g). */
const COURSE_INIT_TILT_STD_RAD = 0.25;
const COURSE_INIT_GYRO_BIAS_STD_RADS = 0.05;

/** Everything a replay must restore; copyFrom() is the snapshot. */
class MotionCore {
  mode: MotionMode = 'initializing';
  tUs = 0;
  lastImuUs = -Infinity;
  lastGnssUs = -Infinity;
  lastMagUs = -Infinity;
  lastGravityUs = -Infinity;
  imuPeriodUs = 0;
  gnssConsecutiveRejects = 0;
  frame: EnuFrame | undefined = undefined;
  readonly lastImu = new Float64Array(6);
  /** Ring of recent fixes for the course over ground (used only until the heading is known). */
  readonly courseFixes = new Float64Array(COURSE_FIXES * COURSE_FIELDS);
  courseCount = 0;
  courseNext = 0;
  readonly att: AttitudeFilter;
  readonly ins: InsFilter;
  counters: CoreCounters = zeroCounters();
  private readonly params: MotionEstimatorParams;
  private readonly gates: { g1: number; g3: number; g6: number };
  private readonly enu = new Float64Array(3);
  private readonly meas = new Float64Array(6);
  private readonly euler = new Float64Array(3);
  private readonly rot = new Float64Array(9);
  private readonly scratch = zeros(INS_STATES);
  private readonly fallbackIns = zeros(INS_STATES);
  private readonly fallbackAtt = zeros(6);

  constructor(params: MotionEstimatorParams, gates: { g1: number; g3: number; g6: number }) {
    this.params = params;
    this.gates = gates;
    const attNoise = {
      gyroNoiseDensity: params.gyroNoiseDensity,
      gyroBiasRandomWalk: params.gyroBiasRandomWalk,
      gravityDirectionStd: params.gravityDirectionStd,
      gravityDynamicGain: params.gravityDynamicGain,
      headingStdRad: params.magHeadingStdRad,
      initialGyroBiasStd: params.initialGyroBiasStd,
      gravityMS2: params.gravityMS2,
    };
    this.att = new AttitudeFilter(attNoise);
    this.ins = new InsFilter({
      ...attNoise,
      accelNoiseDensity: params.accelNoiseDensity,
      accelBiasRandomWalk: params.accelBiasRandomWalk,
      covariancePeriodS: params.covariancePeriodUs / 1e6,
    });
    identity(INS_STATES, this.fallbackIns);
    identity(6, this.fallbackAtt);
  }

  copyFrom(o: MotionCore): void {
    this.mode = o.mode;
    this.tUs = o.tUs;
    this.lastImuUs = o.lastImuUs;
    this.lastGnssUs = o.lastGnssUs;
    this.lastMagUs = o.lastMagUs;
    this.lastGravityUs = o.lastGravityUs;
    this.imuPeriodUs = o.imuPeriodUs;
    this.gnssConsecutiveRejects = o.gnssConsecutiveRejects;
    this.frame = o.frame;
    this.lastImu.set(o.lastImu);
    this.courseFixes.set(o.courseFixes);
    this.courseCount = o.courseCount;
    this.courseNext = o.courseNext;
    this.att.copyFrom(o.att);
    this.ins.copyFrom(o.ins);
    this.counters = { ...o.counters };
  }

  apply(s: MotionSample): void {
    switch (s.kind) {
      case 'imu':
        this.applyImu(s.captureTimeUs, s.gyroRadS, s.accelMS2);
        break;
      case 'gnss':
        this.applyGnss(s);
        break;
      case 'mag':
        this.applyMag(s.captureTimeUs, s.fieldBody);
        break;
    }
    this.guard();
  }

  private applyImu(t: Micros, g: Vec3, a: Vec3): void {
    if (this.mode === 'initializing') {
      this.att.initialize(a[0], a[1], a[2], this.params.initialAttitudeStdRad);
      this.mode = 'attitude';
      this.tUs = Math.max(this.tUs, t);
      this.storeImu(t, g, a);
      return;
    }
    const gap = t - this.lastImuUs;
    if (gap > this.params.imuMaxInterpolationGapUs) {
      this.counters.imuGaps++;
      this.coastTo(t);
    } else if (t > this.tUs) {
      const period = this.imuPeriodUs > 0 ? this.imuPeriodUs : gap;
      const k = gap > 2.5 * period ? Math.round(gap / period) : 1;
      if (k > 1) this.counters.imuInterpolatedSteps += k - 1;
      else if (gap > 0) this.imuPeriodUs = this.imuPeriodUs > 0 ? 0.98 * this.imuPeriodUs + 0.02 * gap : gap;
      const m = this.meas;
      const prev = this.lastImu;
      for (let j = 1; j <= k; j++) {
        const end = this.lastImuUs + (gap * j) / k;
        if (end <= this.tUs) continue;
        const w = j / k;
        for (let i = 0; i < 3; i++) {
          m[i] = prev[i]! + w * (g[i]! - prev[i]!);
          m[3 + i] = prev[3 + i]! + w * (a[i]! - prev[3 + i]!);
        }
        this.step(m[0]!, m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, (end - this.tUs) / 1e6);
        this.tUs = end;
      }
      this.tUs = t;
    }
    if (this.mode === 'attitude' && t - this.lastGravityUs >= this.params.gravityUpdatePeriodUs) {
      this.lastGravityUs = t;
      if (this.att.updateGravity(a[0], a[1], a[2], this.gates.g3) !== 'accepted') this.counters.gravityRejected++;
    }
    this.storeImu(t, g, a);
  }

  private storeImu(t: Micros, g: Vec3, a: Vec3): void {
    this.lastImuUs = t;
    for (let i = 0; i < 3; i++) {
      this.lastImu[i] = g[i]!;
      this.lastImu[3 + i] = a[i]!;
    }
  }

  private step(gx: number, gy: number, gz: number, ax: number, ay: number, az: number, dtS: number): void {
    if (this.mode === 'attitude') this.att.predict(gx, gy, gz, dtS);
    else if (this.mode === 'ins') this.ins.predict(gx, gy, gz, ax, ay, az, dtS);
  }

  /** Bring the state to time t: hold the last IMU reading when it is recent, otherwise coast. */
  private propagateTo(t: Micros): void {
    if (t <= this.tUs || this.mode === 'initializing') return;
    if (t - this.lastImuUs <= this.params.imuTimeoutUs) {
      const m = this.lastImu;
      this.step(m[0]!, m[1]!, m[2]!, m[3]!, m[4]!, m[5]!, (t - this.tUs) / 1e6);
      this.tUs = t;
    } else {
      this.coastTo(t);
    }
  }

  private coastTo(t: Micros): void {
    while (this.tUs < t) {
      const dt = Math.min(MAX_COAST_STEP_S, (t - this.tUs) / 1e6);
      if (this.mode === 'attitude') {
        const b = this.att.gyroBias;
        this.att.predict(b[0]!, b[1]!, b[2]!, dt, this.params.coastRateStdRadS);
      } else if (this.mode === 'ins') {
        this.ins.coast(dt, this.params.coastAccelStdMS2, this.params.coastRateStdRadS);
      }
      this.tUs = Math.min(t, this.tUs + Math.round(dt * 1e6));
    }
  }

  private applyGnss(s: GnssSample): void {
    const p = this.params;
    if (this.frame === undefined) {
      if (s.horizontalStdM > p.anchorMaxHorizontalStdM) return;
      this.frame = new EnuFrame(s.latDeg, s.lonDeg, s.heightM);
    }
    if (this.mode === 'initializing') return;
    this.propagateTo(s.captureTimeUs);
    const enu = this.frame.toEnu(s.latDeg, s.lonDeg, s.heightM, this.enu);
    const velStd = s.velocityStdMS ?? p.defaultGnssVelocityStdMS;
    if (this.mode === 'attitude') {
      if (s.horizontalStdM > p.anchorMaxHorizontalStdM) return;
      const vel = s.velocityEnuMS;
      const speed = vel === undefined ? 0 : Math.hypot(vel[0], vel[1]);
      let course: { yawRad: number; varianceRad2: number; velocity: Vec3 } | undefined;
      if (!this.att.yawKnown && !(vel !== undefined && speed >= p.minCourseSpeedMS)) {
        course = this.courseFromFixes(s.captureTimeUs, enu, s.horizontalStdM, this.att.q);
        if (course === undefined) return;
      }
      this.initIns(enu, s, vel, speed, velStd, course);
      this.mode = 'ins';
      this.lastGnssUs = s.captureTimeUs;
      this.counters.gnssAccepted++;
      return;
    }
    if (s.velocityEnuMS === undefined && !(s.captureTimeUs - this.lastMagUs <= p.magTimeoutUs)) this.updateCourse(s, enu);
    const gate = s.velocityEnuMS === undefined ? this.gates.g3 : this.gates.g6;
    const outcome = this.ins.updateGnss(enu[0]!, enu[1]!, enu[2]!, s.horizontalStdM, s.verticalStdM, s.velocityEnuMS, velStd, gate);
    if (outcome === 'accepted') {
      this.counters.gnssAccepted++;
      this.gnssConsecutiveRejects = 0;
      this.lastGnssUs = s.captureTimeUs;
      return;
    }
    this.counters.gnssRejected++;
    if (++this.gnssConsecutiveRejects >= p.gnssResetAfterRejections) {
      this.ins.resetPosition(enu[0]!, enu[1]!, enu[2]!, s.horizontalStdM, s.verticalStdM, s.velocityEnuMS, velStd);
      this.counters.gnssResets++;
      this.gnssConsecutiveRejects = 0;
      this.lastGnssUs = s.captureTimeUs;
    }
  }

  /**
   * Heading from the displacement between this fix and the most recent earlier one that is far
   * enough away (√2·σ/|d| ≤ courseMaxHeadingStdRad) and recent enough (courseMaxBaselineUs), with
   * an average speed ≥ minCourseSpeedMS. On an arc of constant curvature the chord points along the
   * mean of the two end headings, so the gyro-integrated yaw change since the older fix (the
   * attitude filter's yaw, correct up to an unknown offset) carries the course to the present.
   * Assumes the vehicle moves forward. The fix is remembered for later pairs.
   */
  private courseFromFixes(t: Micros, enu: Float64Array, horizontalStdM: number, q: Float64Array): { yawRad: number; varianceRad2: number; velocity: Vec3 } | undefined {
    const p = this.params;
    quatToEuler(q, this.euler);
    const attYaw = this.euler[2]!;
    const f = this.courseFixes;
    let found: { yawRad: number; varianceRad2: number; velocity: Vec3 } | undefined;
    for (let k = 1; k <= this.courseCount && found === undefined; k++) {
      const o = ((this.courseNext - k + COURSE_FIXES) % COURSE_FIXES) * COURSE_FIELDS;
      const dtS = (t - f[o]!) / 1e6;
      if (dtS * 1e6 > p.courseMaxBaselineUs) break;
      if (dtS <= 0) continue;
      const de = enu[0]! - f[o + 1]!;
      const dn = enu[1]! - f[o + 2]!;
      const d = Math.hypot(de, dn);
      const std = (Math.SQRT2 * horizontalStdM) / Math.max(d, 1e-9);
      if (std > p.courseMaxHeadingStdRad || d / dtS < p.minCourseSpeedMS) continue;
      const turned = wrapAngle(attYaw - f[o + 3]!);
      const yaw = wrapAngle(Math.atan2(dn, de) + turned / 2);
      const speed = d / dtS;
      found = { yawRad: yaw, varianceRad2: std * std, velocity: [speed * Math.cos(yaw), speed * Math.sin(yaw), 0] };
    }
    // A used pair starts a new baseline: consecutive course readings then share no fix (independent errors).
    if (found !== undefined) this.courseCount = 0;
    const o = this.courseNext * COURSE_FIELDS;
    f[o] = t;
    f[o + 1] = enu[0]!;
    f[o + 2] = enu[1]!;
    f[o + 3] = attYaw;
    this.courseNext = (this.courseNext + 1) % COURSE_FIXES;
    this.courseCount = Math.min(COURSE_FIXES, this.courseCount + 1);
    return found;
  }

  private initIns(
    enu: Float64Array, s: GnssSample, vel: Vec3 | undefined, speed: number, velStd: number,
    course?: { readonly yawRad: number; readonly varianceRad2: number; readonly velocity: Vec3 },
  ): void {
    const p = this.params;
    const ins = this.ins;
    const N = INS_STATES;
    ins.reset();
    ins.p.set(enu);
    const v0 = vel ?? course?.velocity;
    if (v0 === undefined) ins.v.fill(0);
    else for (let i = 0; i < 3; i++) ins.v[i] = v0[i]!;
    ins.q.set(this.att.q);
    ins.gyroBias.set(this.att.gyroBias);
    ins.accelBias.fill(0);
    const cov = ins.cov;
    cov.fill(0);
    cov[0] = s.horizontalStdM ** 2;
    cov[N + 1] = s.horizontalStdM ** 2;
    cov[2 * N + 2] = s.verticalStdM ** 2;
    const v2 = vel === undefined ? p.initialVelocityStdMS ** 2 : velStd ** 2;
    for (let i = 3; i < 6; i++) cov[i * N + i] = v2;
    const ap = this.att.p;
    const map = [6, 7, 8, 12, 13, 14];
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) cov[map[i]! * N + map[j]!] = ap[i * 6 + j]!;
    for (let i = 9; i < 12; i++) cov[i * N + i] = p.initialAccelBiasStd ** 2;
    if (!this.att.yawKnown && vel !== undefined) {
      // Heading from the course over ground (a vehicle moving forward).
      quatToEuler(ins.q, this.euler);
      quatFromEuler(this.euler[0]!, this.euler[1]!, Math.atan2(vel[1], vel[0]), ins.q);
      for (let k = 0; k < N; k++) {
        cov[8 * N + k] = 0;
        cov[k * N + 8] = 0;
      }
      cov[8 * N + 8] = (velStd / Math.max(speed, 1e-3)) ** 2 + 0.05 ** 2;
    } else if (!this.att.yawKnown && course !== undefined) {
      quatToEuler(ins.q, this.euler);
      quatFromEuler(this.euler[0]!, this.euler[1]!, course.yawRad, ins.q);
      for (let k = 0; k < N; k++) {
        cov[8 * N + k] = 0;
        cov[k * N + 8] = 0;
      }
      cov[8 * N + 8] = course.varianceRad2 + 0.05 ** 2;
      // The course needs metres of travel, so the attitude filter has by now seen the vehicle
      // accelerate: it took that for tilt (and a pitch/roll gyro bias). Let GNSS correct both.
      for (const i of [6, 7, 12, 13]) {
        for (let k = 0; k < N; k++) {
          cov[i * N + k] = 0;
          cov[k * N + i] = 0;
        }
      }
      cov[6 * N + 6] = COURSE_INIT_TILT_STD_RAD ** 2;
      cov[7 * N + 7] = COURSE_INIT_TILT_STD_RAD ** 2;
      cov[12 * N + 12] = COURSE_INIT_GYRO_BIAS_STD_RADS ** 2;
      cov[13 * N + 13] = COURSE_INIT_GYRO_BIAS_STD_RADS ** 2;
    }
  }

  /**
   * No magnetometer and no GNSS velocity: on a steady turn a yaw error and a body-fixed accelerometer
   * bias explain position-only fixes equally well, so the heading needs its own observation. The
   * course over ground (vehicle moving forward, no side slip) is fed to the heading update as a
   * horizontal reference vector at that angle; its σ is `magHeadingStdRad`, which bounds the course
   * σ when courseMaxHeadingStdRad ≤ magHeadingStdRad (the defaults: both 0.1 rad).
   */
  private updateCourse(s: GnssSample, enu: Float64Array): void {
    const course = this.courseFromFixes(s.captureTimeUs, enu, s.horizontalStdM, this.ins.q);
    if (course === undefined) return;
    quatToEuler(this.ins.q, this.euler);
    // World vector whose heading innovation (declination 0) is course − estimated yaw, rotated into the body.
    const angle = Math.PI / 2 - wrapAngle(course.yawRad - this.euler[2]!);
    const we = Math.cos(angle);
    const wn = Math.sin(angle);
    const r = quatToMatrix(this.ins.q, this.rot);
    // Rᵀ·[we, wn, 0] with R body → ENU, row-major.
    const bx = r[0]! * we + r[3]! * wn;
    const by = r[1]! * we + r[4]! * wn;
    const bz = r[2]! * we + r[5]! * wn;
    // A gated course reading (a skid, reversing) is simply not used.
    this.ins.updateHeading(bx, by, bz, 0, this.gates.g1);
  }

  private applyMag(t: Micros, m: Vec3): void {
    if (this.mode === 'initializing') return;
    this.propagateTo(t);
    const outcome = this.mode === 'attitude'
      ? this.att.updateHeading(m[0], m[1], m[2], this.params.magDeclinationRad, this.gates.g1)
      : this.ins.updateHeading(m[0], m[1], m[2], this.params.magDeclinationRad, this.gates.g1);
    if (outcome === 'accepted') {
      this.counters.magAccepted++;
      this.lastMagUs = t;
    } else {
      this.counters.magRejected++;
    }
  }

  /** Checked every step: covariance SPD (repaired and counted) and a finite state (else restart). */
  private guard(): void {
    if (this.mode === 'initializing') return;
    // Checked whenever the covariance changed (each attitude step; each INS propagation or update).
    if (this.mode === 'attitude' || this.ins.covChanged) {
      const p = this.mode === 'ins' ? this.ins.cov : this.att.p;
      const n = this.mode === 'ins' ? INS_STATES : 6;
      const repair = repairCovariance(p, n, this.scratch, n === 6 ? this.fallbackAtt : this.fallbackIns, this.params.unknownVariance);
      if (repair !== 'none') this.counters.covarianceRepairs++;
      this.ins.covChanged = false;
    }
    let sum = 0;
    if (this.mode === 'ins') {
      const ins = this.ins;
      for (let i = 0; i < 3; i++) sum += ins.p[i]! + ins.v[i]! + ins.accelBias[i]! + ins.gyroBias[i]!;
      sum += ins.q[0]! + ins.q[1]! + ins.q[2]! + ins.q[3]!;
    } else {
      const att = this.att;
      sum += att.q[0]! + att.q[1]! + att.q[2]! + att.q[3]! + att.gyroBias[0]! + att.gyroBias[1]! + att.gyroBias[2]!;
    }
    if (!Number.isFinite(sum)) {
      const counters = this.counters;
      this.mode = 'initializing';
      this.lastImuUs = -Infinity;
      this.att.q.set([1, 0, 0, 0]);
      this.att.gyroBias.fill(0);
      this.ins.reset();
      this.counters = { ...counters, numericResets: counters.numericResets + 1 };
    }
  }

  /** Brings the deferred INS covariance propagation up to date (and SPD-checks it) before a read. */
  flushInsCovariance(): void {
    this.ins.flushCovariance();
    this.guard();
  }

  stateAt(out: { p: Float64Array; q: Float64Array }): void {
    if (this.mode === 'ins') {
      out.p.set(this.ins.p);
      out.q.set(this.ins.q);
    } else {
      out.p.fill(0);
      out.q.set(this.att.q);
    }
  }
}

interface Snapshot {
  readonly core: MotionCore;
  timeUs: Micros;
  seq: number;
}

/** IMU/GNSS/magnetometer → EgoState estimator; see the package README for the contract. */
export class MotionEstimator {
  readonly params: MotionEstimatorParams;
  private readonly gates: { g1: number; g3: number; g6: number };
  private core: MotionCore;
  private readonly samples: (MotionSample | undefined)[];
  private headSeq = 0;
  private readonly snapshots: Snapshot[];
  private snapshotCount = 0;
  private snapshotNext = 0;
  private newestUs = 0;
  private nextOutputUs = 0;
  private lastPoseUs = -Infinity;
  private futureRejects = 0;
  private readonly poses: PoseHistory;
  private readonly poseTmp = { p: new Float64Array(3), q: new Float64Array(4) };
  private readonly euler = new Float64Array(3);
  private readonly external: Pick<MotionStats, 'imuSamples' | 'gnssSamples' | 'magSamples' | 'imputedFields' | 'replays' | 'late' | 'rejected'> = {
    imuSamples: 0, gnssSamples: 0, magSamples: 0, imputedFields: 0, replays: 0, late: 0, rejected: 0,
  };
  private flagBase = { imuGaps: 0, imuInterpolatedSteps: 0 };
  /** What the last successful update did with its sample. */
  lastOutcome: SampleOutcome = 'applied';

  constructor(params: Partial<MotionEstimatorParams> = {}) {
    this.params = Object.freeze({ ...DEFAULT_MOTION_PARAMS, ...params });
    const pr = this.params.gateProbability;
    this.gates = { g1: chiSquareQuantile(pr, 1), g3: chiSquareQuantile(pr, 3), g6: chiSquareQuantile(pr, 6) };
    this.core = new MotionCore(this.params, this.gates);
    this.samples = new Array<MotionSample | undefined>(this.params.replayCapacity).fill(undefined);
    const nSnap = Math.ceil(this.params.lagUs / this.params.snapshotIntervalUs) + 8;
    this.snapshots = Array.from({ length: nSnap }, () => ({ core: new MotionCore(this.params, this.gates), timeUs: 0, seq: 0 }));
    this.poses = new PoseHistory(Math.ceil(this.params.poseHistoryUs / this.params.poseIntervalUs) + 2);
  }

  /**
   * Process one sample. Returns an EgoState when an output is due (never during a replay), else
   * undefined. Throws InvalidTimestampError / InvalidSampleValueError for samples that must go to
   * the DLQ; a sample older than `lagUs` is counted as late and not applied (`lastOutcome`).
   * `receivedAtUs` (e.g. the Kafka record timestamp or the worker's clock) lets the estimator reject
   * a capture time far in the future even for the very first sample.
   */
  update(input: MotionSample, receivedAtUs?: Micros): EgoState | undefined {
    let sample: MotionSample;
    try {
      sample = this.validate(input, receivedAtUs);
    } catch (error) {
      this.external.rejected++;
      throw error;
    }
    const t = sample.captureTimeUs;
    if (sample.kind === 'imu') this.external.imuSamples++;
    else if (sample.kind === 'gnss') this.external.gnssSamples++;
    else this.external.magSamples++;
    if (t < this.newestUs) {
      this.lastOutcome = this.replayWith(sample) ? 'replayed' : 'late';
      if (this.lastOutcome === 'late') this.external.late++;
      else this.external.replays++;
      return undefined;
    }
    this.newestUs = t;
    this.applyInOrder(sample);
    this.lastOutcome = 'applied';
    if (this.core.mode === 'initializing' || t < this.nextOutputUs) return undefined;
    const period = this.params.outputPeriodUs;
    this.nextOutputUs = (Math.floor(this.core.tUs / period) + 1) * period;
    const out = this.state();
    this.flagBase = { imuGaps: this.core.counters.imuGaps, imuInterpolatedSteps: this.core.counters.imuInterpolatedSteps };
    return out;
  }

  /**
   * The current estimate, whether or not an output is due. The imu-gap / imu-interpolated flags
   * mean "since the previous emitted output".
   */
  state(): EgoState {
    const core = this.core;
    const p = this.params;
    const N = INS_STATES;
    const ins = core.mode === 'ins';
    if (ins) core.flushInsCovariance();
    const q = ins ? core.ins.q : core.att.q;
    quatToEuler(q, this.euler);
    const cov = new Float64Array(N * N);
    const bg = ins ? core.ins.gyroBias : core.att.gyroBias;
    if (ins) cov.set(core.ins.cov);
    else {
      for (let i = 0; i < 12; i++) cov[i * N + i] = p.unknownVariance;
      const map = [6, 7, 8, 12, 13, 14];
      for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) cov[map[i]! * N + map[j]!] = core.att.p[i * 6 + j]!;
    }
    const flags: MotionFlag[] = [];
    if (!ins) flags.push('position-unknown');
    if (core.mode === 'attitude' && !core.att.yawKnown) flags.push('heading-unknown');
    if (ins && core.tUs - core.lastGnssUs > p.gnssTimeoutUs) flags.push('gnss-timeout');
    if (Number.isFinite(core.lastMagUs) && core.tUs - core.lastMagUs > p.magTimeoutUs) flags.push('mag-timeout');
    if (this.newestUs - core.lastImuUs > p.imuTimeoutUs) flags.push('imu-timeout');
    if (core.counters.imuGaps > this.flagBase.imuGaps) flags.push('imu-gap');
    if (core.counters.imuInterpolatedSteps > this.flagBase.imuInterpolatedSteps) flags.push('imu-interpolated');
    const g = core.lastImu;
    const frame = core.frame;
    return {
      captureTimeUs: core.tUs,
      mode: core.mode,
      origin: frame === undefined ? undefined : { latDeg: frame.latDeg, lonDeg: frame.lonDeg, heightM: frame.heightM },
      positionEnuM: ins ? [core.ins.p[0]!, core.ins.p[1]!, core.ins.p[2]!] : [0, 0, 0],
      velocityEnuMS: ins ? [core.ins.v[0]!, core.ins.v[1]!, core.ins.v[2]!] : [0, 0, 0],
      orientation: [q[0]!, q[1]!, q[2]!, q[3]!],
      rollRad: this.euler[0]!,
      pitchRad: this.euler[1]!,
      yawRad: this.euler[2]!,
      angularVelocityBodyRadS: [g[0]! - bg[0]!, g[1]! - bg[1]!, g[2]! - bg[2]!],
      accelBiasMS2: ins ? [core.ins.accelBias[0]!, core.ins.accelBias[1]!, core.ins.accelBias[2]!] : [0, 0, 0],
      gyroBiasRadS: [bg[0]!, bg[1]!, bg[2]!],
      covariance: cov,
      flags,
    };
  }

  /** Motion of the body between two capture times, from the bounded pose history. */
  egoMotionBetween(fromUs: Micros, toUs: Micros): EgoMotion | undefined {
    return this.poses.between(fromUs, toUs);
  }

  stats(): MotionStats {
    return { ...this.core.counters, ...this.external };
  }

  private applyInOrder(sample: MotionSample): void {
    const core = this.core;
    const last = this.snapshotCount === 0 ? undefined : this.snapshots[(this.snapshotNext + this.snapshots.length - 1) % this.snapshots.length];
    if (last === undefined || sample.captureTimeUs - last.timeUs >= this.params.snapshotIntervalUs) {
      const snap = this.snapshots[this.snapshotNext]!;
      snap.core.copyFrom(core);
      snap.timeUs = core.tUs;
      snap.seq = this.headSeq;
      this.snapshotNext = (this.snapshotNext + 1) % this.snapshots.length;
      this.snapshotCount = Math.min(this.snapshotCount + 1, this.snapshots.length);
    }
    this.samples[this.headSeq % this.samples.length] = sample;
    this.headSeq++;
    core.apply(sample);
    if (core.mode !== 'initializing' && core.tUs - this.lastPoseUs >= this.params.poseIntervalUs) {
      core.stateAt(this.poseTmp);
      this.poses.push(core.tUs, this.poseTmp.p, this.poseTmp.q);
      this.lastPoseUs = core.tUs;
    }
  }

  /** Re-applies history from the newest snapshot before the late sample; false when too late. */
  private replayWith(late: MotionSample): boolean {
    const t = late.captureTimeUs;
    if (t < this.newestUs - this.params.lagUs) return false;
    const oldestSeq = this.headSeq - this.samples.length;
    const len = this.snapshots.length;
    let found = -1;
    for (let k = 1; k <= this.snapshotCount; k++) {
      const idx = (this.snapshotNext - k + len) % len;
      const snap = this.snapshots[idx]!;
      if (snap.seq < oldestSeq) break;
      if (snap.timeUs <= t) {
        found = k;
        break;
      }
    }
    if (found < 0) return false;
    const snapIdx = (this.snapshotNext - found + len) % len;
    const snap = this.snapshots[snapIdx]!;
    const pending: MotionSample[] = [];
    let inserted = false;
    for (let seq = snap.seq; seq < this.headSeq; seq++) {
      const s = this.samples[seq % this.samples.length]!;
      if (!inserted && s.captureTimeUs > t) {
        pending.push(late);
        inserted = true;
      }
      pending.push(s);
    }
    if (!inserted) pending.push(late);
    this.core.copyFrom(snap.core);
    this.headSeq = snap.seq;
    // Drop the chosen snapshot and every newer one: applyInOrder retakes them.
    this.snapshotNext = snapIdx;
    this.snapshotCount -= found;
    this.poses.truncateAfter(snap.timeUs);
    this.lastPoseUs = this.poses.newestUs ?? -Infinity;
    for (const s of pending) this.applyInOrder(s);
    return true;
  }

  private validate(s: MotionSample, receivedAtUs: Micros | undefined): MotionSample {
    const t: unknown = (s as { captureTimeUs?: unknown }).captureTimeUs;
    if (typeof t !== 'number' || !Number.isSafeInteger(t)) {
      throw new InvalidTimestampError('not-integer', `captureTimeUs must be an integer microsecond timestamp, found ${String(t)}`);
    }
    if (t <= 0) throw new InvalidTimestampError('zero-or-negative', `captureTimeUs must be > 0, found ${t}`);
    if (!isPlausibleTimeUs(t)) {
      throw new InvalidTimestampError('implausible', `captureTimeUs must lie in 2000..2100 (µs since the Unix epoch), found ${t}`);
    }
    if (receivedAtUs !== undefined && t > receivedAtUs + this.params.maxAheadOfReceiveUs) {
      throw new InvalidTimestampError('future', `captureTimeUs ${t} is ${t - receivedAtUs} µs after it was received at ${receivedAtUs} (limit ${this.params.maxAheadOfReceiveUs})`);
    }
    if (this.newestUs > 0 && t > this.newestUs + this.params.maxForwardJumpUs) {
      if (++this.futureRejects < this.params.resyncAfterRejections) {
        throw new InvalidTimestampError('future', `captureTimeUs ${t} is ${t - this.newestUs} µs ahead of the newest sample ${this.newestUs} (limit ${this.params.maxForwardJumpUs})`);
      }
      this.restart();
    }
    this.futureRejects = 0;
    const kind: unknown = (s as { kind?: unknown }).kind;
    switch (kind) {
      case 'imu':
        return this.validateImu(s as Extract<MotionSample, { kind: 'imu' }>);
      case 'gnss':
        return this.validateGnss(s as GnssSample);
      case 'mag': {
        const m = vec3(s as unknown as Record<string, unknown>, 'fieldBody');
        if (!m.every(Number.isFinite)) throw new InvalidSampleValueError('non-finite', `magnetometer field must be finite, found [${m.join(', ')}]`);
        const norm = Math.hypot(m[0], m[1], m[2]);
        if (!(norm > 0) || !Number.isFinite(norm)) throw new InvalidSampleValueError('out-of-range', `magnetometer field norm must be finite and > 0, found ${norm}`);
        return s;
      }
      default:
        throw new InvalidSampleValueError('unknown-kind', `sample kind must be imu, gnss or mag, found ${String(kind)}`);
    }
  }

  private validateImu(s: Extract<MotionSample, { kind: 'imu' }>): MotionSample {
    if (isCleanVec3(s.gyroRadS, this.params.gyroRangeRadS) && isCleanVec3(s.accelMS2, this.params.accelRangeMS2)) return s;
    const g = vec3(s as unknown as Record<string, unknown>, 'gyroRadS');
    const a = vec3(s as unknown as Record<string, unknown>, 'accelMS2');
    const p = this.params;
    const core = this.core;
    let imputed = 0;
    const canImpute = core.mode !== 'initializing' && s.captureTimeUs - core.lastImuUs <= p.imuMaxInterpolationGapUs;
    const fix = (v: [number, number, number], offset: number, range: number, what: string): void => {
      for (let i = 0; i < 3; i++) {
        const x = v[i]!;
        if (Number.isFinite(x)) {
          if (Math.abs(x) > range) throw new InvalidSampleValueError('out-of-range', `${what}[${i}] must be within ±${range}, found ${x}`);
          continue;
        }
        if (!canImpute) throw new InvalidSampleValueError('non-finite', `${what}[${i}] is ${x} and there is no recent IMU sample to impute it from`);
        v[i] = core.lastImu[offset + i]!;
        imputed++;
      }
    };
    fix(g, 0, p.gyroRangeRadS, 'gyroRadS');
    fix(a, 3, p.accelRangeMS2, 'accelMS2');
    if (imputed === 0) return s;
    this.external.imputedFields += imputed;
    return { kind: 'imu', captureTimeUs: s.captureTimeUs, gyroRadS: g, accelMS2: a };
  }

  private validateGnss(s: GnssSample): MotionSample {
    const p = this.params;
    const { latDeg, lonDeg, heightM } = s;
    if (!Number.isFinite(latDeg) || !Number.isFinite(lonDeg) || !Number.isFinite(heightM)) {
      throw new InvalidSampleValueError('non-finite', `GNSS lat/lon/height must be finite, found ${latDeg}, ${lonDeg}, ${heightM}`);
    }
    if (Math.abs(latDeg) > 90 || Math.abs(lonDeg) > 180 || Math.abs(heightM) > 1e5) {
      throw new InvalidSampleValueError('out-of-range', `GNSS fix must have |lat| ≤ 90, |lon| ≤ 180, |height| ≤ 100 km, found ${latDeg}, ${lonDeg}, ${heightM}`);
    }
    let imputed = 0;
    const std = (x: unknown, fallback: number): number => {
      if (typeof x === 'number' && Number.isFinite(x) && x > 0 && x < 1e4) return x;
      imputed++;
      return fallback;
    };
    const horizontalStdM = std(s.horizontalStdM, p.defaultGnssStdM);
    const verticalStdM = std(s.verticalStdM, 2 * p.defaultGnssStdM);
    let velocityEnuMS = s.velocityEnuMS;
    let velocityStdMS = s.velocityStdMS;
    if (velocityEnuMS !== undefined) {
      const v = vec3(s as unknown as Record<string, unknown>, 'velocityEnuMS');
      if (!v.every((x) => Number.isFinite(x) && Math.abs(x) < 1e3)) {
        velocityEnuMS = undefined;
        velocityStdMS = undefined;
        imputed++;
      } else {
        velocityStdMS = std(s.velocityStdMS ?? p.defaultGnssVelocityStdMS, p.defaultGnssVelocityStdMS);
      }
    }
    if (imputed === 0) return s;
    this.external.imputedFields += imputed;
    const out: GnssSample = { kind: 'gnss', captureTimeUs: s.captureTimeUs, latDeg, lonDeg, heightM, horizontalStdM, verticalStdM };
    return velocityEnuMS === undefined ? out : { ...out, velocityEnuMS, ...(velocityStdMS === undefined ? {} : { velocityStdMS }) };
  }

  private restart(): void {
    this.core = new MotionCore(this.params, this.gates);
    this.headSeq = 0;
    this.snapshotCount = 0;
    this.snapshotNext = 0;
    this.poses.clear();
    this.lastPoseUs = -Infinity;
    this.nextOutputUs = 0;
    this.newestUs = 0;
    this.core.counters.numericResets = 0;
  }
}

function vec3(s: Record<string, unknown>, field: string): [number, number, number] {
  const v = s[field];
  if (!Array.isArray(v) && !(v instanceof Float64Array) && !(v instanceof Float32Array)) {
    throw new InvalidSampleValueError('malformed', `${field} must be an array of 3 numbers, found ${typeof v}`);
  }
  const arr = v as ArrayLike<unknown>;
  if (arr.length !== 3) throw new InvalidSampleValueError('malformed', `${field} must have 3 components, found ${arr.length}`);
  const out: [number, number, number] = [Number.NaN, Number.NaN, Number.NaN];
  for (let i = 0; i < 3; i++) {
    const x = arr[i];
    out[i] = typeof x === 'number' ? x : Number.NaN;
  }
  return out;
}

/** Allocation-free fast path: a 3-array of finite numbers within ±range. */
function isCleanVec3(v: unknown, range: number): boolean {
  if (!Array.isArray(v) || v.length !== 3) return false;
  for (let i = 0; i < 3; i++) {
    const x: unknown = v[i];
    if (typeof x !== 'number' || !(Math.abs(x) <= range)) return false;
  }
  return true;
}
