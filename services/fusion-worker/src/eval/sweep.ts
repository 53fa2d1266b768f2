/**
 * A tuning sweep of one fusion parameter on the TUNING seeds only (never the held-out ones), from
 * the scene cache: for each value, the fused mAP per preset, its margin over the best single
 * modality, the camera-outage mAP and urban-day MOTA. What a tuning commit message quotes.
 *
 *   node --conditions=source --import tsx services/fusion-worker/src/eval/sweep.ts <param> <v1,v2,…> [--presets a,b]
 *
 * e.g. `… sweep.ts cameraOnlyInRangeWeight 0.6,0.9,1.2`. Scenes are generated first when the cache
 * lacks them (see evaluate.ts; the cache is keyed by the detector's hash).
 */
import { DEFAULT_FUSION_PARAMS } from '../core/params.js';
import type { FusionParams } from '../core/types.js';
import { evaluateScenes, loadScenes } from './evaluate.js';
import { TUNING_SEEDS, sceneKeys } from './scenes.js';
import { CAMERA_ONLY, FUSED, LIDAR_ONLY } from './strategies.js';

const [name, list, ...rest] = process.argv.slice(2);
if (name === undefined || list === undefined || !(name in DEFAULT_FUSION_PARAMS)) {
  console.error(`usage: sweep.ts <param> <v1,v2,…> [--presets a,b]; params: ${Object.keys(DEFAULT_FUSION_PARAMS).join(', ')}`);
  process.exit(2);
}
const values = list.split(',').map(Number);
if (values.some((v) => !Number.isFinite(v))) {
  console.error(`expected numbers, found "${list}"`);
  process.exit(2);
}
const presetsAt = rest.indexOf('--presets');
const presets = presetsAt >= 0 ? rest[presetsAt + 1]?.split(',') : undefined;
const keys = sceneKeys(TUNING_SEEDS, 'full').filter((k) => presets === undefined || presets.includes(k.preset));
const { scenes } = await loadScenes(keys, { log: (l) => { console.log(l); } });

const f3 = (v: number | undefined): string => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(3));
const baseline = await evaluateScenes(scenes, [CAMERA_ONLY, LIDAR_ONLY]);
const best = new Map(baseline.map((r) => [r.preset, Math.max(r.strategies['camera-only']?.fov.mAP ?? 0, r.strategies['lidar-only']?.fov.mAP ?? 0)]));
console.log(`\ntuning seeds ${TUNING_SEEDS.join(', ')}; best single per preset: ${[...best].map(([p, v]) => `${p} ${f3(v)}`).join(', ')}\n`);
console.log(`| ${name} | ${baseline.map((r) => `${r.preset} fused (− best single)`).join(' | ')} | outage | urban-day MOTA |`);
console.log(`|---|${baseline.map(() => '---').join('|')}|---|---|`);
for (const value of values) {
  const params: FusionParams = { ...DEFAULT_FUSION_PARAMS, [name]: value };
  const results = await evaluateScenes(scenes, [FUSED], { params });
  const cells = results.map((r) => {
    const mAP = r.strategies.fused?.fov.mAP ?? 0;
    return `${f3(mAP)} (${f3(mAP - (best.get(r.preset) ?? 0))})`;
  });
  const outage = results.find((r) => r.preset === 'sensor-dropout')?.strategies.fused?.outage?.mAP;
  const mota = results.find((r) => r.preset === 'urban-day')?.strategies.fused?.tracking?.mota;
  const mark = value === DEFAULT_FUSION_PARAMS[name as keyof FusionParams] ? ' (default)' : '';
  console.log(`| ${String(value)}${mark} | ${cells.join(' | ')} | ${f3(outage)} | ${f3(mota)} |`);
}
