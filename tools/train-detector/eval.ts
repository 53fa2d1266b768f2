/**
 * Evaluate a detector on held-out simulator seeds through the real TypeScript path: simulator JPEG
 * frames → CameraCore (decode, quality, denoise, letterbox, normalise) → InferencePool (onnxruntime) →
 * decodeDetections (class-wise NMS) → boxes in source pixels, matched to the truth at IoU ≥ 0.5.
 *
 *   node --conditions=source --import tsx tools/train-detector/eval.ts [model.onnx] [seeds=101,102] [durationS=15] [stride=4] [labels=eval|train]
 *
 * mAP@0.5: the same matching on every detection down to score 0.01 (the worker's 0.25 threshold
 * applies to the recall/precision table only), per class the 101-point interpolated average
 * precision (COCO / Ultralytics mAP50 style: mean over recall 0, 0.01, …, 1 of the best precision at
 * that recall or above), averaged over the classes with truth; per preset and over all frames.
 *
 * Ground truth = objects with camera visible fraction ≥ 0.3 and a clipped 2D box ≥ 8 px on both sides
 * (`labels=eval`, the default: the rule up to v4's training, so figures stay comparable), or with v5's training
 * rule (`labels=train`: short side ≥ 3 px, long side ≥ 6 px; the far pedestrians count). A detection overlapping (IoU ≥ 0.5) a truth object that is not counted (less visible,
 * smaller) is ignored: neither true nor false positive.
 */
import { fileURLToPath } from 'node:url';
import { CameraCore, loadCameraConfig, newCameraCounters, openDetector } from '@sensorfuse/camera-worker';
import { createSimulation, presetScenario, toCameraFrame, type CameraRecord, type TruthRecord } from '@sensorfuse/simulator';
import type { Detection2d } from '@sensorfuse/schemas';
import { CLASSES, EVAL_BOX_RULE, PRESETS, boxRuleNamed, visibleBoxes, type LabelledBox } from './dump-dataset.js';

interface Tally {
  gt: number;
  tp: number;
  det: number;
  fp: number;
}

function iou(a: LabelledBox, b: { x1: number; y1: number; x2: number; y2: number }): number {
  const iw = Math.max(0, Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1));
  const ih = Math.max(0, Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1));
  const inter = iw * ih;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

/** Ignored truth: any object in view with a 2D box that is not counted. */
function ignoredBoxes(truth: TruthRecord, counted: readonly LabelledBox[], width: number, height: number): LabelledBox[] {
  const out: LabelledBox[] = [];
  for (const o of truth.objects) {
    const b = o.camera?.box2d;
    if (b === undefined || (o.camera?.visibleFraction ?? 0) <= 0) continue;
    const box = { cls: -1, x1: Math.max(0, b.x1), y1: Math.max(0, b.y1), x2: Math.min(width, b.x2), y2: Math.min(height, b.y2) };
    if (box.x2 <= box.x1 || box.y2 <= box.y1) continue;
    if (counted.some((c) => iou(c, box) > 0.99)) continue;
    out.push(box);
  }
  return out;
}

function tallyOf(tallies: readonly Tally[], cls: number): Tally {
  const t = tallies[cls];
  if (t === undefined) throw new RangeError(`no tally for class index ${String(cls)}`);
  return t;
}

/** One scored detection after matching: a true or a false positive (ignored ones are not recorded). */
export interface ScoredMatch {
  readonly cls: number;
  readonly score: number;
  readonly tp: boolean;
}

/** 101-point interpolated AP of one class from its matches (any order) and its number of truth boxes. */
export function averagePrecision101(matches: readonly ScoredMatch[], numTruth: number): number {
  if (numTruth === 0) return Number.NaN;
  const sorted = [...matches].sort((a, b) => b.score - a.score);
  const recall: number[] = [];
  const precision: number[] = [];
  let tp = 0;
  sorted.forEach((m, i) => {
    if (m.tp) tp++;
    recall.push(tp / numTruth);
    precision.push(tp / (i + 1));
  });
  // Precision envelope: the best precision at this recall or any higher one.
  for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i] ?? 0, precision[i + 1] ?? 0);
  let sum = 0;
  for (let k = 0; k <= 100; k++) {
    const r = k / 100;
    const i = recall.findIndex((v) => v >= r - 1e-12);
    sum += i < 0 ? 0 : (precision[i] ?? 0);
  }
  return sum / 101;
}

/** Greedy matching by score, per class, IoU ≥ 0.5; with `matches`, every true/false positive is recorded with its score. */
export function matchFrame(dets: readonly Detection2d[], gts: readonly LabelledBox[], ignored: readonly LabelledBox[], tallies: Tally[], matches?: ScoredMatch[]): void {
  const used = new Set<number>();
  for (const g of gts) tallyOf(tallies, g.cls).gt++;
  for (const d of [...dets].sort((a, b) => b.score - a.score)) {
    const cls = (CLASSES as readonly string[]).indexOf(d.objectClass);
    if (cls < 0) continue;
    const db = { x1: d.box.xMin, y1: d.box.yMin, x2: d.box.xMax, y2: d.box.yMax };
    let best = -1;
    let bestIou = 0.5;
    gts.forEach((g, i) => {
      if (g.cls !== cls || used.has(i)) return;
      const v = iou(g, db);
      if (v >= bestIou) {
        bestIou = v;
        best = i;
      }
    });
    if (best >= 0) {
      used.add(best);
      matches?.push({ cls, score: d.score, tp: true });
      tallyOf(tallies, cls).tp++;
      tallyOf(tallies, cls).det++;
    } else if (!ignored.some((g) => iou(g, db) >= 0.5)) {
      matches?.push({ cls, score: d.score, tp: false });
      tallyOf(tallies, cls).fp++;
      tallyOf(tallies, cls).det++;
    }
  }
}

/** Per-class AP and their mean over the classes with truth. */
function classAps(matches: readonly ScoredMatch[], tallies: readonly Tally[]): number[] {
  return CLASSES.map((_, c) => averagePrecision101(matches.filter((m) => m.cls === c), tallyOf(tallies, c).gt));
}
function meanAp(matches: readonly ScoredMatch[], tallies: readonly Tally[]): number {
  const aps = classAps(matches, tallies).filter((v) => !Number.isNaN(v));
  return aps.length === 0 ? Number.NaN : aps.reduce((a, b) => a + b, 0) / aps.length;
}

async function main(): Promise<void> {
  const [modelArg, seedArg, durationArg, strideArg, labelsArg] = process.argv.slice(2);
  const sizeRule = boxRuleNamed(labelsArg, EVAL_BOX_RULE);
  const modelPath = modelArg ?? fileURLToPath(new URL('../../models/sim-detector/sim-detector.onnx', import.meta.url));
  const seeds = (seedArg ?? '101,102').split(',').map(Number);
  const durationS = Number(durationArg ?? 15);
  const stride = Number(strideArg ?? 4);
  const config = loadCameraConfig({});
  const opened = await openDetector({ ...config.model, path: modelPath, cardPath: '' });
  // Detections down to 0.01 for the AP curves; the table keeps the worker's own threshold.
  const reportThreshold = config.camera.scoreThreshold;
  const params = { ...config.camera, maxQueueDelayUs: 0, scoreThreshold: Math.min(0.01, reportThreshold) };
  const apTallies: Tally[] = CLASSES.map(() => ({ gt: 0, tp: 0, det: 0, fp: 0 }));
  const allMatches: ScoredMatch[] = [];
  const presetMap = new Map<string, number>();
  const presetClassAps = new Map<string, { ap: number[]; gt: number[] }>();
  const tallies: Tally[] = CLASSES.map(() => ({ gt: 0, tp: 0, det: 0, fp: 0 }));
  const perPreset = new Map<string, Tally>();
  let frames = 0;
  try {
    for (const preset of PRESETS) {
      const presetTally: Tally[] = CLASSES.map(() => ({ gt: 0, tp: 0, det: 0, fp: 0 }));
      const presetApTally: Tally[] = CLASSES.map(() => ({ gt: 0, tp: 0, det: 0, fp: 0 }));
      const presetMatches: ScoredMatch[] = [];
      for (const seed of seeds) {
        const core = new CameraCore({ detector: opened.detector, spec: opened.spec, params, counters: newCameraCounters(), nowUs: () => 0 });
        const cams = new Map<string, CameraRecord>();
        const truths = new Map<string, TruthRecord>();
        let n = 0;
        for await (const r of createSimulation({ ...presetScenario(preset), durationS }, { seed, sensors: ['camera'] })) {
          let key: string | undefined;
          if (r.kind === 'camera') cams.set((key = `${r.sensorId}/${String(r.seq)}`), r);
          else if (r.kind === 'truth') truths.set((key = `${r.forSensorId}/${String(r.forSeq)}`), r);
          if (key === undefined) continue;
          const c = cams.get(key);
          const t = truths.get(key);
          if (c === undefined || t === undefined) continue;
          cams.delete(key);
          truths.delete(key);
          if (n++ % stride !== 0) continue;
          const [out] = await core.update(toCameraFrame(c), { receivedAtUs: 0, topic: 'raw.camera', partition: 0, offset: '0' });
          if (out === undefined) continue;
          const gts = visibleBoxes(t, c.width, c.height, sizeRule);
          const ignored = ignoredBoxes(t, gts, c.width, c.height);
          const reported = out.detections.filter((d) => d.score >= reportThreshold);
          matchFrame(reported, gts, ignored, tallies);
          matchFrame(reported, gts, ignored, presetTally);
          matchFrame(out.detections, gts, ignored, apTallies, allMatches);
          matchFrame(out.detections, gts, ignored, presetApTally, presetMatches);
          frames++;
        }
      }
      presetMap.set(preset, meanAp(presetMatches, presetApTally));
      presetClassAps.set(preset, { ap: classAps(presetMatches, presetApTally), gt: CLASSES.map((_, c) => tallyOf(presetApTally, c).gt) });
      perPreset.set(preset, presetTally.reduce((a, b) => ({ gt: a.gt + b.gt, tp: a.tp + b.tp, det: a.det + b.det, fp: a.fp + b.fp })));
    }
  } finally {
    await opened.close();
  }
  const pct = (a: number, b: number): string => (b === 0 ? 'n/a' : `${((100 * a) / b).toFixed(1)} %`);
  const row = (name: string, t: Tally): string => `| ${name} | ${String(t.gt)} | ${String(t.det)} | ${String(t.tp)} | ${pct(t.tp, t.gt)} | ${pct(t.tp, t.det)} |`;
  const all = tallies.reduce((a, b) => ({ gt: a.gt + b.gt, tp: a.tp + b.tp, det: a.det + b.det, fp: a.fp + b.fp }));
  console.log(`${String(frames)} frames, presets ${PRESETS.join(', ')}, seeds ${seeds.join(', ')}, ${String(durationS)} s each, every ${String(stride)}th frame, truth boxes from ${String(sizeRule.short)} / ${String(sizeRule.long)} px (short / long side); score ≥ ${String(reportThreshold)}, NMS IoU ${String(params.iouThreshold)}\n`);
  console.log('| class | truth | detections | true positives | recall @ IoU 0.5 | precision @ IoU 0.5 |');
  console.log('|---|---|---|---|---|---|');
  CLASSES.forEach((c, i) => {
    console.log(row(c, tallyOf(tallies, i)));
  });
  console.log(row('**all**', all));
  for (const [p, t] of perPreset) console.log(row(`all, ${p}`, t));
  const aps = classAps(allMatches, apTallies);
  console.log(`\nmAP@IoU0.5 (101-point, detections ≥ ${String(params.scoreThreshold)}):\n`);
  console.log(`| ${['all frames', ...CLASSES.map((c) => `AP ${c}`)].join(' | ')} |`);
  console.log(`|${' --- |'.repeat(CLASSES.length + 1)}`);
  console.log(`| ${[meanAp(allMatches, apTallies), ...aps].map((v) => v.toFixed(3)).join(' | ')} |\n`);
  console.log(`| preset | mAP@0.5 | ${CLASSES.map((c) => `AP ${c} (truth)`).join(' | ')} |`);
  console.log(`|---|---|${'---|'.repeat(CLASSES.length)}`);
  for (const [p, v] of presetMap) {
    const per = presetClassAps.get(p);
    const cells = CLASSES.map((_, c) => {
      const ap = per?.ap[c] ?? Number.NaN;
      return `${Number.isNaN(ap) ? '–' : ap.toFixed(3)} (${String(per?.gt[c] ?? 0)})`;
    });
    console.log(`| ${p} | ${v.toFixed(3)} | ${cells.join(' | ')} |`);
  }
}

await main();
