// Runs the project simulator's raw.motion stream (IMU 200 Hz with magnetometer, GNSS 10 Hz, the
// scenario's transport faults) through MotionCore exactly as the worker does, and scores every
// published EgoState against the simulator's closed-form ego pose. Used by the simulator spec and by
// scripts/eval-sim.ts (bench/results/motion-sim.*). Not part of the build (simulator is a dev dependency).
import { EnuFrame, MotionSampleRejectedError, chiSquareQuantile, type MotionEstimatorParams } from '@sensorfuse/filters';
import type { EgoState } from '@sensorfuse/schemas';
import { CoreSimulation, enuToGeodetic, presetScenario, resolveScenario, toMotionSample, type Scenario } from '@sensorfuse/simulator';
import { MotionCore, type MotionCoreStats } from './core/motion-core.js';

/** One published EgoState scored against the truth at its capture time (ENU frame of the worker). */
export interface SimEvalStep {
  /** Seconds since the scenario start. */
  readonly tS: number;
  readonly positionErrorM: readonly [number, number, number];
  readonly velocityErrorMS: readonly [number, number, number];
  /** Estimated minus true heading, wrapped to (−π, π]. */
  readonly yawErrorRad: number;
  /** Attitude error in the body frame, rad: the rotation vector of R_trueᵀ·R_est (x ≈ roll, y ≈ pitch, z ≈ yaw). */
  readonly attitudeErrorRad: readonly [number, number, number];
  /** Tilt error (angle between the estimated and the true body z axis), rad. */
  readonly tiltErrorRad: number;
  /** Position NEES eᵀP⁻¹e (3 dof) with the published 3×3 position covariance. */
  readonly positionNees: number;
  /** Heading NEES (1 dof): yaw error² / published heading variance. */
  readonly yawNees: number;
  /** Velocity NEES (3 dof). */
  readonly velocityNees: number;
  /** Published 1σ: east, north, up position (m), heading (rad, world-z part of the attitude covariance). */
  readonly positionStdM: readonly [number, number, number];
  readonly yawStdRad: number;
  readonly gnssTimeout: boolean;
  readonly predictOnly: boolean;
  /** The true speed (m/s). */
  readonly speedMS: number;
}

export interface SimEvalRun {
  readonly scenario: string;
  readonly seed: number;
  /** Steps published after the INS anchored (before that position is unknown by contract). */
  readonly steps: readonly SimEvalStep[];
  /** EgoState records before the anchor (attitude mode). */
  readonly preAnchorOutputs: number;
  readonly rejectedSamples: number;
  readonly stats: MotionCoreStats;
  readonly gnssOutage: { readonly startS: number; readonly endS: number } | undefined;
}

export interface SimEvalOptions {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly estimator?: Partial<MotionEstimatorParams>;
}

/**
 * `sensor-dropout` with its GNSS outage stretched to the 20 s issue 8 asks for (the preset's own is
 * 8–18 s), 40 s long so the filter re-converges after it; every other fault of the preset is kept
 * (IMU drops, duplicates, reordering, jitter).
 */
export const GNSS_OUTAGE_20S = { startS: 10, endS: 30 } as const;
export function sensorDropout20s(durationS = 40): Scenario {
  const base = presetScenario('sensor-dropout');
  return resolveScenario({ ...base, name: 'sensor-dropout (20 s GNSS outage)', durationS, faults: { ...base.faults, gnss: { ...base.faults.gnss, outages: [GNSS_OUTAGE_20S] } } });
}

function wrap(a: number): number {
  let x = a;
  while (x > Math.PI) x -= 2 * Math.PI;
  while (x <= -Math.PI) x += 2 * Math.PI;
  return x;
}

/** eᵀ A⁻¹ e for a symmetric 3×3 A (row-major, taken at offset o of a 9×9), by the adjugate. */
function mahalanobis3(c: readonly number[], o: number, e: readonly [number, number, number]): number {
  const at = (i: number, j: number): number => c[(o + i) * 9 + o + j] ?? Number.NaN;
  const a = at(0, 0), b = at(0, 1), d = at(0, 2), f = at(1, 1), g = at(1, 2), h = at(2, 2);
  const c00 = f * h - g * g, c01 = d * g - b * h, c02 = b * g - d * f;
  const c11 = a * h - d * d, c12 = b * d - a * g, c22 = a * f - b * b;
  const det = a * c00 + b * c01 + d * c02;
  const [x, y, z] = e;
  return (x * (c00 * x + c01 * y + c02 * z) + y * (c01 * x + c11 * y + c12 * z) + z * (c02 * x + c12 * y + c22 * z)) / det;
}

/** Body→ENU rotation matrix (row-major) of a Hamilton quaternion. */
function rotation(q: EgoState['attitude']): number[] {
  const { w, x, y, z } = q;
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
  ];
}

/** Feeds the scenario's IMU and GNSS records, in delivery order, through a MotionCore and scores its output. */
export function runMotionOnSimulator(options: SimEvalOptions): SimEvalRun {
  const { scenario, seed } = options;
  const sim = new CoreSimulation(scenario, { seed, sensors: ['imu', 'gnss'], truth: 'omit' });
  const core = new MotionCore({ estimator: options.estimator ?? {}, outputSensorId: 'ego_state', outputFrameId: 'enu', nowUs: () => 0 });
  const steps: SimEvalStep[] = [];
  let preAnchorOutputs = 0;
  let rejectedSamples = 0;
  let frame: EnuFrame | undefined;
  const truthEnu = new Float64Array(3);
  for (const r of sim.records()) {
    if (r.kind !== 'imu' && r.kind !== 'gnss') continue;
    let out: EgoState[];
    try {
      out = core.update(toMotionSample(r), { receivedAtUs: r.publishTimeUs });
    } catch (error) {
      if (!(error instanceof MotionSampleRejectedError)) throw error;
      rejectedSamples++;
      continue;
    }
    for (const s of out) {
      const origin = core.enuOrigin();
      if (origin === undefined) {
        preAnchorOutputs++;
        continue;
      }
      frame ??= new EnuFrame(origin.latDeg, origin.lonDeg, origin.heightM);
      // The simulator's clock faults (none on the IMU/GNSS of these scenarios) would shift captureTimeUs; truth is at the stamped time.
      const tS = (s.captureTimeUs - sim.startTimeUs) / 1e6;
      const k = sim.world.egoKinematics(tS);
      const p = k.pose.position;
      const geo = enuToGeodetic(scenario.origin, p[0], p[1], p[2]);
      frame.toEnu(geo.latitudeDeg, geo.longitudeDeg, geo.altitudeM, truthEnu);
      const pe: [number, number, number] = [s.position.x - (truthEnu[0] ?? 0), s.position.y - (truthEnu[1] ?? 0), s.position.z - (truthEnu[2] ?? 0)];
      const v = k.velocityWorld;
      const ve: [number, number, number] = [s.velocity.x - v[0], s.velocity.y - v[1], s.velocity.z - v[2]];
      const R = rotation(s.attitude);
      const yaw = Math.atan2(R[3] ?? 0, R[0] ?? 1);
      // Heading variance: the world-z component of the body-frame attitude error, (R P_θ Rᵀ)[2][2].
      const c = s.covariance;
      let yawVar = 0;
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) yawVar += (R[6 + i] ?? 0) * (c[(6 + i) * 9 + 6 + j] ?? 0) * (R[6 + j] ?? 0);
      const T = k.rotation;
      // E = Tᵀ R (body_true ← body_est); its rotation vector from the antisymmetric part (exact angle via atan2).
      const E = (i: number, j: number): number => (T[i] ?? 0) * (R[j] ?? 0) + (T[3 + i] ?? 0) * (R[3 + j] ?? 0) + (T[6 + i] ?? 0) * (R[6 + j] ?? 0);
      const ax = (E(2, 1) - E(1, 2)) / 2, ay = (E(0, 2) - E(2, 0)) / 2, az = (E(1, 0) - E(0, 1)) / 2;
      const sinA = Math.hypot(ax, ay, az);
      const angle = Math.atan2(sinA, (E(0, 0) + E(1, 1) + E(2, 2) - 1) / 2);
      const scale = sinA > 1e-12 ? angle / sinA : 1;
      const tiltCos = (R[8] ?? 0) * T[8] + (R[2] ?? 0) * T[2] + (R[5] ?? 0) * T[5];
      steps.push({
        attitudeErrorRad: [ax * scale, ay * scale, az * scale],
        tiltErrorRad: Math.acos(Math.min(1, tiltCos)),
        tS,
        positionErrorM: pe,
        velocityErrorMS: ve,
        yawErrorRad: wrap(yaw - k.pose.yaw),
        positionNees: mahalanobis3(c, 0, pe),
        velocityNees: mahalanobis3(c, 3, ve),
        yawNees: wrap(yaw - k.pose.yaw) ** 2 / yawVar,
        positionStdM: [Math.sqrt(c[0] ?? 0), Math.sqrt(c[10] ?? 0), Math.sqrt(c[20] ?? 0)],
        yawStdRad: Math.sqrt(yawVar),
        gnssTimeout: s.gnssTimeout,
        predictOnly: s.predictOnly,
        speedMS: k.speedMps,
      });
    }
  }
  const outage = scenario.faults.gnss?.outages?.[0];
  return {
    scenario: scenario.name, seed, steps, preAnchorOutputs, rejectedSamples, stats: core.stats(),
    gnssOutage: outage === undefined ? undefined : { startS: outage.startS, endS: outage.endS },
  };
}

export interface ErrorSummary {
  readonly steps: number;
  readonly positionRmseM: number;
  readonly horizontalRmseM: number;
  readonly velocityRmseMS: number;
  readonly yawRmseDeg: number;
  readonly maxPositionErrorM: number;
  /** Share of steps whose position NEES lies in the two-sided 95 % χ²(3) interval. */
  readonly positionNeesInside95: number;
  readonly velocityNeesInside95: number;
  /** Share of steps whose heading NEES lies in the two-sided 95 % χ²(1) interval. */
  readonly yawNeesInside95: number;
  readonly meanPositionNees: number;
  readonly meanYawNees: number;
}

/** Two-sided 95 % bounds of χ²(dof). */
export function chiSquareBounds95(dof: number): readonly [number, number] {
  return [chiSquareQuantile(0.025, dof), chiSquareQuantile(0.975, dof)];
}

const norm = (e: readonly number[]): number => Math.hypot(...e);

export function summarise(steps: readonly SimEvalStep[]): ErrorSummary {
  const n = steps.length;
  const [lo, hi] = chiSquareBounds95(3);
  const [lo1, hi1] = chiSquareBounds95(1);
  let p2 = 0, h2 = 0, v2 = 0, y2 = 0, maxP = 0, pin = 0, vin = 0, yin = 0, nees = 0, ynees = 0;
  for (const s of steps) {
    const [ex, ey, ez] = s.positionErrorM;
    p2 += ex * ex + ey * ey + ez * ez;
    h2 += ex * ex + ey * ey;
    v2 += norm(s.velocityErrorMS) ** 2;
    y2 += s.yawErrorRad ** 2;
    maxP = Math.max(maxP, norm(s.positionErrorM));
    if (s.positionNees >= lo && s.positionNees <= hi) pin++;
    if (s.velocityNees >= lo && s.velocityNees <= hi) vin++;
    if (s.yawNees >= lo1 && s.yawNees <= hi1) yin++;
    nees += s.positionNees;
    ynees += s.yawNees;
  }
  const rms = (x: number): number => (n === 0 ? Number.NaN : Math.sqrt(x / n));
  return {
    steps: n,
    positionRmseM: rms(p2),
    horizontalRmseM: rms(h2),
    velocityRmseMS: rms(v2),
    yawRmseDeg: (rms(y2) * 180) / Math.PI,
    maxPositionErrorM: maxP,
    positionNeesInside95: n === 0 ? Number.NaN : pin / n,
    velocityNeesInside95: n === 0 ? Number.NaN : vin / n,
    yawNeesInside95: n === 0 ? Number.NaN : yin / n,
    meanPositionNees: n === 0 ? Number.NaN : nees / n,
    meanYawNees: n === 0 ? Number.NaN : ynees / n,
  };
}

/** Steps whose time lies in [fromS, toS). */
export function between(steps: readonly SimEvalStep[], fromS: number, toS: number): SimEvalStep[] {
  return steps.filter((s) => s.tS >= fromS && s.tS < toS);
}
