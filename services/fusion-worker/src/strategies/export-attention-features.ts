/**
 * Feature export for tools/train-fusion-attention: runs late fusion over the evaluation scenes of the
 * given seeds (default: the tuning seeds, never the held-out ones) and writes, per fused object, its
 * modality tokens and mask (attention-features.ts) and its label: the class of the nearest truth object
 * within 2 m (centre distance, the evaluation's threshold) at that sweep, else background (0).
 *
 *   node --conditions=source --import tsx services/fusion-worker/src/strategies/export-attention-features.ts <outDir> [seeds, e.g. 11,12]
 *
 * Writes features.f32 (N × 3 × TOKEN_DIM), mask.f32 (N × 3), labels.i32 (N) and meta.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lateFusion, type ObjectFusion, type ObjectFusionInput } from '../core/update.js';
import { loadScenes } from '../eval/evaluate.js';
import { alignScene, runStrategy } from '../eval/harness.js';
import { EVAL_PRESETS, TUNING_SEEDS, sceneKeys } from '../eval/scenes.js';
import { coreStrategy } from '../eval/strategies.js';
import { ATTENTION_CLASSES, ATTENTION_MODALITIES, TOKEN_DIM, encodeObject } from './attention-features.js';

const outDir = process.argv[2] ?? '/tmp/sensorfuse-fusion-attention';
const seeds = process.argv[3]?.split(',').map(Number) ?? TUNING_SEEDS;
const keys = sceneKeys(seeds, 'full', EVAL_PRESETS);
const { scenes } = await loadScenes(keys, { jobs: 2, log: (l) => { console.log(l); } });

const features: number[] = [];
const masks: number[] = [];
const labels: number[] = [];
const presets: string[] = [];
const scratchF = new Float32Array(ATTENTION_MODALITIES.length * TOKEN_DIM);
const scratchM = new Float32Array(ATTENTION_MODALITIES.length);
for (const scene of scenes) {
  const recorded: ObjectFusionInput[][] = [];
  let current: ObjectFusionInput[] = [];
  const recording: ObjectFusion = (input, params) => {
    current.push(input);
    return lateFusion(input, params);
  };
  const base = coreStrategy('record', 'late fusion, inputs recorded', { fuse: recording });
  const strategy = {
    ...base,
    async start(s: typeof scene, p: Parameters<typeof base.start>[1]) {
      const runner = await base.start(s, p);
      return {
        async step(frame: Parameters<typeof runner.step>[0], cal: Parameters<typeof runner.step>[1]) {
          current = [];
          const out = await runner.step(frame, cal);
          recorded.push(current);
          return out;
        },
      };
    },
  };
  const run = await runStrategy(alignScene(scene), strategy);
  const truthByTime = new Map(scene.truth.map((t) => [t.captureTimeUs, t]));
  run.outputs.forEach((out, f) => {
    const inputs = recorded[f] ?? [];
    const truth = truthByTime.get(out.captureTimeUs);
    out.detections.forEach((d, i) => {
      const input = inputs[i];
      if (input === undefined || truth === undefined) return;
      let label = 0;
      let best = 2;
      for (const t of truth.objects) {
        const dist = Math.hypot(t.x - d.x, t.y - d.y);
        const c = ATTENTION_CLASSES.indexOf(t.objectClass);
        if (dist <= best && c >= 0) { best = dist; label = c + 1; }
      }
      encodeObject(input, scratchF, scratchM, 0);
      features.push(...scratchF);
      masks.push(...scratchM);
      labels.push(label);
      presets.push(scene.preset);
    });
  });
  console.log(`${scene.preset} seed ${String(scene.seed)}: ${String(labels.length)} objects so far`);
}
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'features.f32'), new Float32Array(features));
writeFileSync(path.join(outDir, 'mask.f32'), new Float32Array(masks));
writeFileSync(path.join(outDir, 'labels.i32'), new Int32Array(labels));
writeFileSync(path.join(outDir, 'meta.json'), `${JSON.stringify({ n: labels.length, modalities: ATTENTION_MODALITIES, tokenDim: TOKEN_DIM, classes: ['background', ...ATTENTION_CLASSES], seeds, presets: [...new Set(presets)], presetOf: presets }, null, 1)}\n`);
console.log(`wrote ${String(labels.length)} objects to ${outDir}`);
