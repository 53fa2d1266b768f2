/**
 * Held-out evaluation of the shipped sound-event classifier through the run-time path: simulator
 * scenes of the held-out seeds → AudioProcessor (log-mel of the denoised mix) → SoundEventClassifier
 * with the model in an InferencePool (onnxruntime-node via @sensorfuse/inference). Prints and writes
 * per-class patch precision/recall/F1, the confusion matrix, and event-level recall/precision with
 * onset/offset errors (truth: the simulator's per-chunk truth at the array).
 *
 *   node --conditions=source --import tsx tools/train-audio-events/eval.ts [modelPath] [durationS]
 * Output: models/audio-events/evaluation.json
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSoundEventPool, soundEventModelPath, SOUND_EVENT_CLASSES } from '@sensorfuse/audio';
import { CLASSES, HELD_OUT_SEEDS, makeScene, patchLabel, sceneFeatures, truthEvents } from './scenes.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const modelPath = process.argv[2] ?? soundEventModelPath();
const durationS = Number(process.argv[3] ?? 40);
const pool = await openSoundEventPool({ modelPath });
const k = CLASSES.length;
if (SOUND_EVENT_CLASSES.join() !== CLASSES.join()) throw new Error('class lists differ');
const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
const onsetErr: Record<string, number[]> = {};
const offsetErr: Record<string, number[]> = {};
const found: Record<string, [number, number]> = {};
const precisionCounts: Record<string, [number, number]> = {};
for (const c of CLASSES.slice(1)) {
  onsetErr[c] = [];
  offsetErr[c] = [];
  found[c] = [0, 0];
  precisionCounts[c] = [0, 0];
}
try {
  for (const seed of HELD_OUT_SEEDS) {
    const f = await sceneFeatures(makeScene(seed, durationS), pool);
    for (const p of f.patches) {
      const start = Math.round((p.startUs - f.firstRowUs) / f.hopUs);
      const label = patchLabel(f.truth, start);
      if (label < 0) continue;
      let best = 0;
      for (let c = 1; c < k; c++) if ((p.probabilities[c] ?? 0) > (p.probabilities[best] ?? 0)) best = c;
      const row = confusion[label];
      if (row !== undefined) row[best] = (row[best] ?? 0) + 1;
    }
    // events: a truth event is found when a detected event of its class overlaps it
    const truth = truthEvents(f);
    for (const t of truth) {
      const name = CLASSES[t.cls] as string;
      const counts = found[name] as [number, number];
      counts[1]++;
      const hit = f.events.find((e) => e.eventClass === name && e.onsetUs <= t.offsetUs + 100_000 && e.offsetUs >= t.onsetUs - 100_000);
      if (hit !== undefined) {
        counts[0]++;
        onsetErr[name]?.push((hit.onsetUs - t.onsetUs) / 1000);
        offsetErr[name]?.push((hit.offsetUs - t.offsetUs) / 1000);
      }
    }
    for (const e of f.events) {
      const counts = precisionCounts[e.eventClass] as [number, number];
      counts[1]++;
      // a detection is right when it overlaps an event of its class that reaches the array (any SNR)
      const right = f.truth.some((t, r) => CLASSES[t.cls] === e.eventClass && Math.abs(f.firstRowUs + r * f.hopUs - (e.onsetUs + e.offsetUs) / 2) <= (e.offsetUs - e.onsetUs) / 2 + 100_000);
      if (right) counts[0]++;
    }
    process.stdout.write(`seed ${String(seed)}: ${String(f.patches.length)} patches, ${String(truth.length)} truth events, ${String(f.events.length)} detected\n`);
  }
} finally {
  await pool.close();
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const perClass = CLASSES.map((name, i) => {
  const tp = confusion[i]?.[i] ?? 0;
  const predicted = confusion.reduce((s, row) => s + (row[i] ?? 0), 0);
  const actual = (confusion[i] ?? []).reduce((s, x) => s + x, 0);
  const precision = tp / Math.max(1, predicted);
  const recall = tp / Math.max(1, actual);
  return { name, patches: actual, precision: r3(precision), recall: r3(recall), f1: r3((2 * precision * recall) / Math.max(1e-9, precision + recall)) };
});
const stats = (xs: number[]) => {
  const a = [...xs].map(Math.abs).sort((x, y) => x - y);
  const q = (p: number) => Math.round(a[Math.min(a.length - 1, Math.floor(p * a.length))] ?? NaN);
  const mean = xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
  return { n: xs.length, meanMs: Math.round(mean), medianAbsMs: q(0.5), p90AbsMs: q(0.9) };
};
const events = CLASSES.slice(1).map((name) => ({
  name,
  truthEvents: found[name]?.[1] ?? 0,
  recall: r3((found[name]?.[0] ?? 0) / Math.max(1, found[name]?.[1] ?? 0)),
  detections: precisionCounts[name]?.[1] ?? 0,
  precision: r3((precisionCounts[name]?.[0] ?? 0) / Math.max(1, precisionCounts[name]?.[1] ?? 0)),
  onset: stats(onsetErr[name] ?? []),
  offset: stats(offsetErr[name] ?? []),
}));
const result = { model: path.relative(path.resolve(here, '../..'), modelPath), seeds: HELD_OUT_SEEDS, durationS, classes: CLASSES, perClass, confusion, events };
writeFileSync(path.resolve(here, '../../models/audio-events/evaluation.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log('patches (rows truth, columns predicted):', CLASSES.join(' '));
for (const [i, row] of confusion.entries()) console.log(`${(CLASSES[i] ?? '').padStart(11)} ${row.map((x) => String(x).padStart(5)).join('')}`);
console.table(perClass);
console.table(events.map((e) => ({ ...e, onset: JSON.stringify(e.onset), offset: JSON.stringify(e.offset) })));
