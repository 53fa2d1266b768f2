import { MotionSampleRejectedError, MotionEstimator, type EgoState as FilterState, type EnuOrigin, type MotionEstimatorParams, type MotionSample as FilterSample, type MotionStats } from '@sensorfuse/filters';
import type { EgoState, GnssFix, ImuSample, MotionSample } from '@sensorfuse/schemas';
import type { Micros } from '@sensorfuse/time';
import { NonFiniteStateError } from './errors.js';

export interface MotionCoreOptions {
  /** Estimator parameters over the filter's defaults (outputPeriodUs sets the publish rate). */
  readonly estimator: Partial<MotionEstimatorParams>;
  readonly outputSensorId: string;
  readonly outputFrameId: string;
  /** Clock of the outputs' publishTimeUs (injected: the core reads no clock itself). */
  readonly nowUs: () => Micros;
}

/** Counters of what the adapter itself decided, next to the estimator's own. */
export interface MotionCoreStats extends MotionStats {
  /** GNSS records with fixType no_fix: nothing to fuse. */
  readonly noFix: number;
  /** Magnetometer readings the estimator refused (the IMU part of the record was still used). */
  readonly magIgnored: number;
}

const N = 15;
/** The EgoState covariance: the position, velocity, attitude block of the filter's 15×15 error state. */
const OUT = 9;

function imuOf(time: Micros, imu: ImuSample): FilterSample {
  const g = imu.angularVelocity;
  const a = imu.linearAcceleration;
  return { kind: 'imu', captureTimeUs: time, gyroRadS: [g.x, g.y, g.z], accelMS2: [a.x, a.y, a.z] };
}

function gnssOf(time: Micros, fix: GnssFix): FilterSample {
  const c = fix.positionCovariance;
  const known = fix.covarianceType !== 'unknown' && c.length === 9;
  // Without a known covariance the estimator imputes its default accuracy (and counts the imputation).
  const horizontalStdM = known ? Math.sqrt(Math.max(c[0] ?? Number.NaN, c[4] ?? Number.NaN)) : Number.NaN;
  const verticalStdM = known ? Math.sqrt(c[8] ?? Number.NaN) : Number.NaN;
  return { kind: 'gnss', captureTimeUs: time, latDeg: fix.latitudeDeg, lonDeg: fix.longitudeDeg, heightM: fix.altitudeM, horizontalStdM, verticalStdM };
}

function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

/**
 * MotionSample (IMU | GNSS) → EgoState, one instance per rig: shared/filters' MotionEstimator
 * (attitude filter until the first good fix, then a 15-state error-state INS with Mahalanobis-gated
 * GNSS and heading updates, late-sample replay, predict-only on timeouts) behind the wire types.
 * Emits at the estimator's output rate in capture time. Rejected samples throw the estimator's
 * typed errors (→ DLQ with the reason).
 */
export class MotionCore {
  private readonly estimator: MotionEstimator;
  private readonly options: MotionCoreOptions;
  private seq = 0;
  private noFix = 0;
  private magIgnored = 0;
  /** Counters at the previous output, for the per-output deltas. */
  private base = { aided: 0, rejected: 0, imputed: 0 };
  private origin: EnuOrigin | undefined;

  constructor(options: MotionCoreOptions) {
    this.options = options;
    this.estimator = new MotionEstimator(options.estimator);
  }

  update(sample: MotionSample, context?: { readonly receivedAtUs?: Micros }): EgoState[] {
    const t = sample.captureTimeUs;
    const received = context?.receivedAtUs;
    const states: FilterState[] = [];
    const push = (state: FilterState | undefined): void => {
      if (state !== undefined) states.push(state);
    };
    const payload = sample.payload;
    if ('sensorfuse.ImuSample' in payload) {
      const imu = payload['sensorfuse.ImuSample'];
      push(this.estimator.update(imuOf(t, imu), received));
      const m = imu.magneticField;
      if (m !== null) {
        try {
          push(this.estimator.update({ kind: 'mag', captureTimeUs: t, fieldBody: [m.x, m.y, m.z] }, received));
        } catch (error) {
          // The IMU part is already applied: a bad magnetometer reading only loses the heading aid.
          if (!(error instanceof MotionSampleRejectedError)) throw error;
          this.magIgnored++;
        }
      }
    } else {
      const fix = payload['sensorfuse.GnssFix'];
      if (fix.fixType === 'no_fix') {
        this.noFix++;
        return [];
      }
      push(this.estimator.update(gnssOf(t, fix), received));
    }
    return states.map((s) => this.toEgoState(sample.rigId, s));
  }

  /**
   * The WGS-84 anchor of the published ENU frame (the first good fix), undefined before full
   * navigation: what a consumer needs to put `position` on a map or compare it with another frame.
   */
  enuOrigin(): EnuOrigin | undefined {
    return this.origin;
  }

  stats(): MotionCoreStats {
    return { ...this.estimator.stats(), noFix: this.noFix, magIgnored: this.magIgnored };
  }

  private toEgoState(rigId: string, s: FilterState): EgoState {
    const stats = this.estimator.stats();
    const aided = stats.gnssAccepted + stats.magAccepted;
    const rejected = stats.gnssRejected + stats.magRejected + stats.gravityRejected;
    const imputed = stats.imputedFields + stats.imuInterpolatedSteps;
    const covariance = new Array<number>(OUT * OUT);
    for (let i = 0; i < OUT; i++) for (let j = 0; j < OUT; j++) covariance[i * OUT + j] = s.covariance[i * N + j] ?? Number.NaN;
    const [w, x, y, z] = s.orientation;
    const out: EgoState = {
      rigId,
      sensorId: this.options.outputSensorId,
      seq: this.seq,
      captureTimeUs: s.captureTimeUs,
      publishTimeUs: this.options.nowUs(),
      frameId: this.options.outputFrameId,
      position: { x: s.positionEnuM[0], y: s.positionEnuM[1], z: s.positionEnuM[2] },
      velocity: { x: s.velocityEnuMS[0], y: s.velocityEnuMS[1], z: s.velocityEnuMS[2] },
      attitude: { x, y, z, w },
      angularVelocity: { x: s.angularVelocityBodyRadS[0], y: s.angularVelocityBodyRadS[1], z: s.angularVelocityBodyRadS[2] },
      covariance,
      predictOnly: aided === this.base.aided || s.flags.includes('imu-timeout'),
      imuTimeout: s.flags.includes('imu-timeout'),
      gnssTimeout: s.flags.includes('gnss-timeout'),
      rejectedMeasurements: rejected - this.base.rejected,
      imputedSamples: imputed - this.base.imputed,
    };
    const numbers = [out.position.x, out.position.y, out.position.z, out.velocity.x, out.velocity.y, out.velocity.z, x, y, z, w, out.angularVelocity.x, out.angularVelocity.y, out.angularVelocity.z];
    if (!allFinite(numbers) || !allFinite(covariance)) {
      throw new NonFiniteStateError(`ego state of rig ${rigId} at ${s.captureTimeUs} has a non-finite value; the sample that produced it is rejected`, {
        context: { rigId },
      });
    }
    this.seq++;
    this.base = { aided, rejected, imputed };
    if (s.origin !== undefined) this.origin = s.origin;
    return out;
  }
}
