/**
 * Fits the camera score calibration (`cameraScoreCalibration` in the fusion config) on the CALIBRATION_SEEDS:
 * seeds used for nothing else — not to train the detector, not to tune the fusion, not held out.
 *
 * A detector's score is a ranking within a class, not a probability, and its scale differs by class: on the
 * tuning seeds a camera-only pedestrian track at score 0.2–0.3 was a real object 94 % of the time while a truck
 * at 0.4 was one 26 % of the time, so one confirmation threshold on raw scores kept real pedestrians tentative
 * and confirmed phantom trucks. Per class, Platt scaling p = σ(a·logit(s) + b) is fitted by maximum likelihood
 * (Newton's method, Platt's smoothed targets) to the label "this box is an object of its class": the detection
 * overlaps (IoU ≥ 0.5) the projection of a simulator truth box of that class visible in the frame, matched one
 * to one, highest score first (as mAP counts). A monotone map per class: each class's ranking, and so the
 * camera's own per-class AP, is unchanged.
 *
 * The same fit of the LIDAR objects' score per geometry class (σ(a·ln(points) + b), "a truth centre within 2 m")
 * was measured on the tuning seeds in place of `lidarOnlyConfidence` × √(points / `lidarFullPoints`) and not kept
 * (README, "Camera score calibration").
 *
 * `node --conditions=source --import tsx services/fusion-worker/src/eval/fit-camera-calibration.ts`
 * Prints the fit per class (detections, positives, a, b, log-loss before/after, reliability by score bin) and
 * the config value to paste into params.ts / config.ts.
 */
import type { ObjectClass } from '@sensorfuse/schemas';
import { projectIntoCamera } from '../core/associate.js';
import { iou } from '../core/geometry.js';
import type { CameraScoreCalibration } from '../core/types.js';
import { loadScenes } from './evaluate.js';
import { alignScene } from './harness.js';
import { CALIBRATION_PRESETS, CALIBRATION_SEEDS, sceneKeys } from './scenes.js';

const IOU_MATCH = 0.5;
/** A camera frame belongs to the truth sweep captured within this of it. */
const MAX_FRAME_OFFSET_US = 20_000;
/** x: logit of the score, the feature the calibration is linear in. */
interface Sample { readonly score: number; readonly x: number; readonly positive: boolean }

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

const { scenes } = await loadScenes(sceneKeys(CALIBRATION_SEEDS, 'full', CALIBRATION_PRESETS), { jobs: 2, log: (l) => { console.log(l); } });
const samples = new Map<ObjectClass, Sample[]>();
for (const scene of scenes) {
  const { calibration } = alignScene(scene);
  for (const obs of scene.observations) {
    if (obs.payload.kind !== 'camera') continue;
    const det = obs.payload.value;
    const camera = calibration.cameras.get(det.sensorId);
    if (camera === undefined || det.detections.length === 0) continue;
    // The truth sweep captured with this frame (a few hundred sweeps per scene: a plain scan).
    const sweep = scene.truth.reduce<(typeof scene.truth)[number] | undefined>((best, t) =>
      best === undefined || Math.abs(t.captureTimeUs - det.captureTimeUs) < Math.abs(best.captureTimeUs - det.captureTimeUs) ? t : best, undefined);
    if (sweep === undefined || Math.abs(sweep.captureTimeUs - det.captureTimeUs) > MAX_FRAME_OFFSET_US) continue;
    const truth = sweep.objects.filter((o) => o.cameraVisible > 0);
    const projected = projectIntoCamera(truth.map((o) => ({ x: o.x, y: o.y, z: o.z, length: o.length, width: o.width, height: o.height, yawRad: o.yawRad })), camera, 0, { vxBody: 0, vyBody: 0, yawRateRadS: 0 });
    const taken = new Uint8Array(truth.length);
    for (const d of [...det.detections].sort((a, b) => b.score - a.score)) {
      let best = -1;
      let bestIou = IOU_MATCH;
      truth.forEach((o, k) => {
        const box = projected.boxes[k];
        if (taken[k] === 1 || box === undefined || o.objectClass !== d.objectClass) return;
        const v = iou(box, d.box);
        if (v >= bestIou) { bestIou = v; best = k; }
      });
      if (best >= 0) taken[best] = 1;
      const list = samples.get(d.objectClass) ?? [];
      list.push({ score: d.score, x: Math.log(Math.max(1e-6, d.score) / Math.max(1e-6, 1 - d.score)), positive: best >= 0 });
      samples.set(d.objectClass, list);
    }
  }
}

/**
 * Logistic fit of p = σ(a·x + b) by Newton's method (from a = b = 0, halving a step that does not lower the
 * loss) with Platt's smoothed targets.
 */
function platt(data: readonly Sample[]): { a: number; b: number } {
  const nPos = data.filter((s) => s.positive).length;
  const nNeg = data.length - nPos;
  const hi = (nPos + 1) / (nPos + 2);
  const lo = 1 / (nNeg + 2);
  const loss = (a: number, b: number): number => data.reduce((sum, s) => {
    const z = a * s.x + b;
    const t = s.positive ? hi : lo;
    // −[t ln σ(z) + (1 − t) ln(1 − σ(z))], written stably.
    return sum + (z >= 0 ? Math.log1p(Math.exp(-z)) + (1 - t) * z : Math.log1p(Math.exp(z)) - t * z);
  }, 0);
  let a = 0;
  let b = 0;
  let current = loss(a, b);
  for (let it = 0; it < 100; it++) {
    let ga = 0, gb = 0, haa = 1e-9, hab = 0, hbb = 1e-9;
    for (const s of data) {
      const p = sigmoid(a * s.x + b);
      const t = s.positive ? hi : lo;
      const w = p * (1 - p);
      ga += (p - t) * s.x; gb += p - t;
      haa += w * s.x * s.x; hab += w * s.x; hbb += w;
    }
    const det = haa * hbb - hab * hab;
    let da = (hbb * ga - hab * gb) / det;
    let db = (haa * gb - hab * ga) / det;
    let next = loss(a - da, b - db);
    for (let k = 0; k < 30 && !(next <= current); k++) { da /= 2; db /= 2; next = loss(a - da, b - db); }
    if (!(next <= current)) break;
    a -= da; b -= db; current = next;
    if (Math.abs(da) + Math.abs(db) < 1e-9) break;
  }
  return { a, b };
}

const logLoss = (data: readonly Sample[], f: (s: Sample) => number): number =>
  data.reduce((sum, s) => { const p = Math.min(1 - 1e-6, Math.max(1e-6, f(s))); return sum - (s.positive ? Math.log(p) : Math.log(1 - p)); }, 0) / Math.max(1, data.length);

/** Fits every class and prints it with a reliability table: per raw-score bin, the observed true fraction and the calibrated mean. */
function fitAll(all: ReadonlyMap<ObjectClass, readonly Sample[]>): CameraScoreCalibration {
  const out: Partial<Record<ObjectClass, { a: number; b: number }>> = {};
  const round = (v: number) => Math.round(v * 1000) / 1000;
  for (const [cls, data] of [...all].sort((x, y) => x[0].localeCompare(y[0]))) {
    const pos = data.filter((s) => s.positive).length;
    const { a, b } = platt(data);
    out[cls] = { a: round(a), b: round(b) };
    const calibrated = (s: Sample) => sigmoid(a * s.x + b);
    console.log(`\n${cls}: ${String(data.length)} detections, ${String(pos)} true (${(pos / data.length).toFixed(2)}); a ${a.toFixed(3)}, b ${b.toFixed(3)}; log-loss raw ${logLoss(data, (s) => s.score).toFixed(3)} → calibrated ${logLoss(data, calibrated).toFixed(3)}`);
    console.log('   score bin | n | observed true fraction | calibrated mean');
    for (let lo = 0; lo < 1; lo += 0.1) {
      const bin = data.filter((s) => s.score >= lo && s.score < lo + 0.1);
      if (bin.length === 0) continue;
      const observed = bin.filter((s) => s.positive).length / bin.length;
      const mean = bin.reduce((sum, s) => sum + calibrated(s), 0) / bin.length;
      console.log(`   ${lo.toFixed(1)}–${(lo + 0.1).toFixed(1)} | ${String(bin.length)} | ${observed.toFixed(2)} | ${mean.toFixed(2)}`);
    }
  }
  return out;
}

console.log(`seeds ${CALIBRATION_SEEDS.join(', ')}, ${String(scenes.length)} scenes, detector ${scenes[0]?.detectorModelId ?? '?'}`);
console.log(`\ncameraScoreCalibration: ${JSON.stringify(fitAll(samples))}`);
