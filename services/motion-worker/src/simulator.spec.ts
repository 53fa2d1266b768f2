import { presetScenario, resolveScenario } from '@sensorfuse/simulator';
import { describe, expect, it } from 'vitest';
import { loadMotionConfig } from './config.js';
import { motionCoreOptions } from './core/params.js';
import { GNSS_OUTAGE_20S, between, runMotionOnSimulator, sensorDropout20s, summarise } from './simulator-eval.spec-helper.js';

// The simulator's raw.motion (IMU 200 Hz + 50 Hz magnetometer, GNSS 10 Hz σ 0.5 m with multipath)
// through the worker core with its default config, scored against the simulator's ground-truth ego
// pose. The full evaluation (10 seeds, both parameter sets) is `npm run eval` (README).
const estimator = motionCoreOptions(loadMotionConfig({}), () => 0).estimator;

describe('motion worker on the project simulator', () => {
  it('tracks urban-day: position, velocity and yaw close to the ground truth with a consistent covariance', () => {
    const run = runMotionOnSimulator({ scenario: resolveScenario({ ...presetScenario('urban-day'), durationS: 12 }), seed: 1, estimator });
    // The INS starts at the first fix with zero velocity (no velocity on the wire): score after 2 s.
    const s = summarise(run.steps.filter((x) => x.tS >= 2));
    console.log(`urban-day 12 s: position RMSE ${s.positionRmseM.toFixed(2)} m, velocity ${s.velocityRmseMS.toFixed(2)} m/s, yaw ${s.yawRmseDeg.toFixed(2)}°, position NEES in 95 % ${(100 * s.positionNeesInside95).toFixed(1)} %`);
    expect(run.preAnchorOutputs).toBeLessThan(5);
    expect(s.steps).toBeGreaterThan(450);
    // Fixes have σ 0.5 m horizontal / 1 m vertical: the filter must do at least as well as one fix.
    expect(s.horizontalRmseM).toBeLessThan(0.5);
    expect(s.positionRmseM).toBeLessThan(1);
    expect(s.velocityRmseMS).toBeLessThan(0.6);
    expect(s.yawRmseDeg).toBeLessThan(2.5);
    expect(s.positionNeesInside95).toBeGreaterThan(0.85);
    expect(s.yawNeesInside95).toBeGreaterThan(0.85);
  });

  it('grows error and covariance consistently through a 20 s GNSS outage in sensor-dropout and re-converges after it', () => {
    const { startS, endS } = GNSS_OUTAGE_20S;
    const run = runMotionOnSimulator({ scenario: sensorDropout20s(endS + 6), seed: 1, estimator });
    const outage = between(run.steps, startS, endS);
    const first = outage[0];
    const last = outage.at(-1);
    if (first === undefined || last === undefined) throw new Error('no outputs during the outage');
    const s = summarise(outage);
    const sigma = (x: typeof first): number => Math.hypot(...x.positionStdM);
    const err = (x: typeof first): number => Math.hypot(...x.positionErrorM);
    console.log(`20 s GNSS outage: error ${err(first).toFixed(2)} → ${err(last).toFixed(2)} m, σ ${sigma(first).toFixed(2)} → ${sigma(last).toFixed(2)} m, position NEES in 95 % on ${(100 * s.positionNeesInside95).toFixed(1)} % of ${s.steps} steps, yaw ${(100 * s.yawNeesInside95).toFixed(1)} %`);
    expect(s.steps).toBeGreaterThan(900);
    // Flagged predict-only position from one gnssTimeout after the last fix to the end of the outage.
    expect(between(run.steps, startS + 1.1, endS).every((x) => x.gnssTimeout)).toBe(true);
    // Dead reckoning drifts, and the published covariance grows with it…
    expect(err(last)).toBeGreaterThan(5 * err(first));
    expect(sigma(last)).toBeGreaterThan(20 * sigma(first));
    // …consistently: the NEES stays inside its two-sided 95 % χ² interval on most steps.
    expect(s.positionNeesInside95).toBeGreaterThan(0.9);
    expect(s.yawNeesInside95).toBeGreaterThan(0.9);
    // GNSS returns: back to fix-level accuracy within 2 s.
    const after = summarise(between(run.steps, endS + 2, endS + 6));
    expect(after.horizontalRmseM).toBeLessThan(0.6);
    expect(between(run.steps, endS + 2, endS + 6).every((x) => !x.gnssTimeout)).toBe(true);
  });
});
