/**
 * Dump simulator camera frames, pre-processed exactly as the camera worker does (decode, quality,
 * low-light median, letterbox to the model input: 320x192 by default, 640x384 = the simulator camera's
 * full resolution, an identity letterbox, with `640x384`), as raw uint8 HWC RGB plus the truth boxes of
 * the visible objects in model-input pixels. Output (not committed): <out>/<split>.u8 (written frame by
 * frame, so a full-resolution dump of thousands of frames never sits in memory) and <out>/<split>.json.
 *
 *   node --conditions=source --import tsx tools/train-detector/dump-dataset.ts <outDir> <split> <seeds,...> [stride] [durationS] [WxH] [presets] [labels]
 *
 * `presets` (comma-separated, default all four) restricts the dump, e.g. `urban-day` (v4: more urban trucks).
 * `labels`: `train` (default, TRAIN_BOX_RULE: small far objects labelled) or `eval` (EVAL_BOX_RULE, eval.ts's default).
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage, denoiseIfNoisy, letterbox, measureQuality, toGray, boxToLetterbox } from '@sensorfuse/image';
import { CoreSimulation, presetScenario, toCameraFrame, type CameraRecord, type TruthRecord } from '@sensorfuse/simulator';

export const CLASSES = ['car', 'truck', 'pedestrian', 'cyclist', 'animal'] as const;
export const PRESETS = ['urban-day', 'crowded', 'night-rain', 'highway'] as const;
export const INPUT_W = 320;
export const INPUT_H = 192;
/** An object counts as visible (a label / a ground truth to find) from this visible fraction on. */
export const MIN_VISIBLE = 0.3;
/** ... and this box size in the 640x384 source image (pixels, both sides): the evaluation's rule (eval.ts). */
export const MIN_SIDE_PX = 8;
/** Smallest box a label or a counted truth may have: its short and its long side, source pixels. */
export interface BoxSizeRule {
  readonly short: number;
  readonly long: number;
}

/** The evaluation's rule (eval.ts), and the training labels' up to v4. */
export const EVAL_BOX_RULE: BoxSizeRule = { short: MIN_SIDE_PX, long: MIN_SIDE_PX };
/**
 * The training labels' size rule (v5): the short side from 3 px and the long side from 6 px. Up to v4 the
 * training labels used EVAL_BOX_RULE, so every pedestrian beyond ~25 m (0.62 m wide: < 8 px at fx 320) and most
 * far cyclists and animals were unlabelled, i.e. taught as background, while the fusion evaluation counts them
 * (any object >= 25 % visible within 50 m).
 */
export const TRAIN_BOX_RULE: BoxSizeRule = { short: 3, long: 6 };

/** The size rule a command-line `labels` argument names: `eval` or `train`, else `fallback`. */
export function boxRuleNamed(name: string | undefined, fallback: BoxSizeRule): BoxSizeRule {
  return name === 'eval' ? EVAL_BOX_RULE : name === 'train' ? TRAIN_BOX_RULE : fallback;
}

export interface LabelledBox {
  readonly cls: number;
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  /** Camera visible fraction (1 - occlusion), 0..1; diagnostics only (training reads cls and the box). */
  readonly vis?: number;
  /** Truth object id (stable over the simulation); diagnostics only. */
  readonly id?: number;
}

/** Visible truth boxes of one camera frame in source pixels (clipped to the image). */
export function visibleBoxes(truth: TruthRecord, width: number, height: number, size: BoxSizeRule = EVAL_BOX_RULE): LabelledBox[] {
  const out: LabelledBox[] = [];
  for (const o of truth.objects) {
    const cam = o.camera;
    const b = cam?.box2d;
    if (cam === undefined || b === undefined || cam.visibleFraction < MIN_VISIBLE) continue;
    const x1 = Math.max(0, b.x1);
    const y1 = Math.max(0, b.y1);
    const x2 = Math.min(width, b.x2);
    const y2 = Math.min(height, b.y2);
    if (Math.min(x2 - x1, y2 - y1) < size.short || Math.max(x2 - x1, y2 - y1) < size.long) continue;
    const cls = (CLASSES as readonly string[]).indexOf(o.objectClass);
    if (cls < 0) continue;
    out.push({ cls, x1, y1, x2, y2, vis: Math.round(cam.visibleFraction * 100) / 100, id: o.id });
  }
  return out;
}

/** Camera records paired with their truth, every `stride`-th frame, of one preset and seed. */
export function* framesWithTruth(preset: string, seed: number, durationS: number, stride: number): Generator<{ camera: CameraRecord; truth: TruthRecord }> {
  const scenario = { ...presetScenario(preset), durationS };
  const sim = new CoreSimulation(scenario, { seed, sensors: ['camera'] });
  const pending = new Map<string, CameraRecord>();
  const truths = new Map<string, TruthRecord>();
  let n = 0;
  for (const r of sim.records()) {
    let key: string | undefined;
    if (r.kind === 'camera') {
      key = `${r.sensorId}/${String(r.seq)}`;
      pending.set(key, r);
    } else if (r.kind === 'truth') {
      key = `${r.forSensorId}/${String(r.forSeq)}`;
      truths.set(key, r);
    }
    if (key === undefined) continue;
    const c = pending.get(key);
    const t = truths.get(key);
    if (c !== undefined && t !== undefined) {
      pending.delete(key);
      truths.delete(key);
      if (n++ % stride === 0) yield { camera: c, truth: t };
    }
  }
}

async function main(): Promise<void> {
  const [outDir, split, seedList, strideArg, durationArg, sizeArg, presetArg, ruleArg] = process.argv.slice(2);
  // 'eval' dumps with the evaluation's size rule (validation splits comparable with v4's), else the training rule.
  const labelRule = boxRuleNamed(ruleArg, TRAIN_BOX_RULE);
  if (outDir === undefined || split === undefined || seedList === undefined) {
    throw new Error('usage: dump-dataset.ts <outDir> <split> <seed,seed,...> [stride=3] [durationS=30] [WxH=320x192] [presets=all] [labels=train|eval]');
  }
  const presets = presetArg === undefined ? [...PRESETS] : presetArg.split(',');
  for (const p of presets) {
    if (!(PRESETS as readonly string[]).includes(p)) throw new Error(`unknown preset ${p}; one of ${PRESETS.join(', ')}`);
  }
  const size = /^(\d+)x(\d+)$/.exec(sizeArg ?? `${String(INPUT_W)}x${String(INPUT_H)}`);
  if (size === null) throw new Error(`input size must be WxH, got ${sizeArg ?? ''}`);
  const width = Number(size[1]);
  const height = Number(size[2]);
  const seeds = seedList.split(',').map(Number);
  const stride = Number(strideArg ?? 3);
  const durationS = Number(durationArg ?? 30);
  mkdirSync(outDir, { recursive: true });
  const fd = openSync(join(outDir, `${split}.u8`), 'w');
  const labels: { preset: string; seed: number; seq: number; boxes: LabelledBox[] }[] = [];
  for (const preset of presets) {
    for (const seed of seeds) {
      for (const { camera, truth } of framesWithTruth(preset, seed, durationS, stride)) {
        const decoded = await decodeImage(toCameraFrame(camera), { maxPixels: 16_000_000 });
        const q = measureQuality(toGray(decoded), decoded.width, decoded.height, {
          blurReferenceVariance: 100, noiseReferenceSigma: 10, underExposedLevel: 16, overExposedLevel: 240, blockageGrid: 8, blockageStdThreshold: 2,
        });
        const { image } = await denoiseIfNoisy(decoded, q.noiseSigma, { noiseSigmaThreshold: 8, medianSize: 3 });
        const { image: boxed, geometry } = await letterbox(image, { width, height, padValue: 114 });
        if (boxed.data.length !== width * height * 3) throw new Error(`letterbox gave ${String(boxed.data.length)} bytes for ${String(width)}x${String(height)}`);
        writeSync(fd, boxed.data);
        const boxes = visibleBoxes(truth, decoded.width, decoded.height, labelRule).map((b) => {
          const l = boxToLetterbox({ xMin: b.x1, yMin: b.y1, xMax: b.x2, yMax: b.y2 }, geometry);
          return { cls: b.cls, x1: l.xMin, y1: l.yMin, x2: l.xMax, y2: l.yMax, vis: b.vis, id: b.id };
        });
        labels.push({ preset, seed, seq: camera.seq, boxes });
      }
      console.log(`${split}: ${preset} seed ${String(seed)} → ${String(labels.length)} frames so far`);
    }
  }
  closeSync(fd);
  writeFileSync(join(outDir, `${split}.json`), JSON.stringify({ width, height, classes: CLASSES, frames: labels }));
}

if (process.argv[1]?.endsWith('dump-dataset.ts') === true) await main();
