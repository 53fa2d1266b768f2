import { existsSync } from 'node:fs';
import { loadCameraConfig } from '@sensorfuse/camera-worker';
import { describe, expect, it } from 'vitest';
import { evaluateScenes } from './evaluate.js';
import { generateScene } from './scene.js';
import { HELD_OUT_SEEDS, TUNING_SEEDS } from './scenes.js';
import { STRATEGIES } from './strategies.js';

// A seed the fusion core was not tuned on (tuning used TUNING_SEEDS) and that the reported table does not use either.
const SEED = 203;

describe('fusion on a held-out simulator scene', () => {
  // With the session-1 detector (v1) fused beat camera-only here (0.304 vs 0.266). With detector v2 (mAP@0.5 0.39 ->
  // 0.62) the camera alone is as good as the fusion on this 6 s scene (measured fused 0.409, camera-only 0.413): the
  // strict claim no longer holds and the README's held-out table says where fusion wins (urban-day over 40 s) and
  // where it does not (night-rain, crowded). Since split camera boxes are placed at their own depth inside merged
  // clusters and tall clutter is no longer a truck (this session, later) it measures fused 0.461, camera-only 0.424; the assertion stays tolerant because a
  // retrained detector (v3) may move either. What this guards: fusion far above LIDAR-only, and never more than
  // 0.02 below the camera alone (the tolerance issue 9 uses for the camera-outage target).
  it('scores a higher centre-distance mAP than LIDAR-only and no more than 0.02 below camera-only (truth from the simulator)', async () => {
    const model = loadCameraConfig({}).model.path;
    if (!existsSync(model)) {
      console.warn(`skipped: ${model} absent (the camera worker's shipped detector)`);
      return;
    }
    expect(TUNING_SEEDS).not.toContain(SEED);
    expect(HELD_OUT_SEEDS).not.toContain(SEED);
    const scene = await generateScene({ preset: 'urban-day', seed: SEED, durationS: 6 });
    expect(scene.truth.length).toBeGreaterThanOrEqual(55); // 10 Hz sweeps
    const [result] = await evaluateScenes([scene], STRATEGIES, { trackingPresets: [] });
    const map = (name: string) => result?.strategies[name]?.fov.mAP ?? Number.NaN;
    console.log(`urban-day seed ${String(SEED)}, 6 s: mAP fused ${map('fused').toFixed(3)}, camera-only ${map('camera-only').toFixed(3)}, lidar-only ${map('lidar-only').toFixed(3)}`);
    expect(result?.strategies.fused?.fov.truthCount).toBeGreaterThan(100);
    expect(map('fused')).toBeGreaterThanOrEqual(map('camera-only') - 0.02);
    expect(map('fused')).toBeGreaterThan(map('lidar-only') + 0.2);
  }, 1_800_000);
});
