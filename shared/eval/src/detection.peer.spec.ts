import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@sensorfuse/random';
import { describe, expect, it } from 'vitest';
import { evaluateDetections, NUSCENES_DETECTION_CONFIG, type EvalBox, type PredictedBox } from './detection.js';

const PYTHON = '/usr/bin/python3';
const PEER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../peer/nuscenes_peer.py');

function hasDevkit(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import importlib.util as u, numpy, pyquaternion; assert u.find_spec("nuscenes")'], {
    encoding: 'utf8',
  });
  return r.status === 0;
}

const SIZES: Record<string, [number, number, number]> = {
  car: [1.9, 4.6, 1.7],
  pedestrian: [0.7, 0.7, 1.8],
  barrier: [2.5, 0.5, 1.0],
};

/**
 * 60 samples of cars, pedestrians and barriers; a detector finds ~80 % of them with centre noise up to
 * ~2.5 m (so every threshold 0.5–4 m decides some matches), size/yaw/velocity noise, scores loosely tied
 * to quality, some barriers flipped by π, clutter, and "truck" ghosts of a class absent from the truth.
 */
function makeScene(seed: number): { truth: EvalBox[]; preds: PredictedBox[] } {
  const r = seededRandom(seed);
  const truth: EvalBox[] = [];
  const preds: PredictedBox[] = [];
  for (let s = 0; s < 60; s++) {
    const sampleId = `sample-${s}`;
    for (const className of Object.keys(SIZES)) {
      const base = SIZES[className] as [number, number, number];
      const n = Math.floor(r() * 6);
      for (let k = 0; k < n; k++) {
        const gt: EvalBox = {
          sampleId,
          className,
          center: [r() * 60 - 30, r() * 60 - 30, r()],
          size: [base[0] * (0.8 + 0.4 * r()), base[1] * (0.8 + 0.4 * r()), base[2] * (0.8 + 0.4 * r())],
          yawRad: (r() - 0.5) * 2 * Math.PI,
          velocity: [(r() - 0.5) * 10, (r() - 0.5) * 10],
        };
        truth.push(gt);
        if (r() < 0.2) continue;
        const offset = r() * r() * 2.5;
        const dir = r() * 2 * Math.PI;
        const flip = className === 'barrier' && r() < 0.3 ? Math.PI : 0;
        preds.push({
          sampleId,
          className,
          center: [gt.center[0] + offset * Math.cos(dir), gt.center[1] + offset * Math.sin(dir), gt.center[2]],
          size: [gt.size[0] * (0.7 + 0.6 * r()), gt.size[1] * (0.7 + 0.6 * r()), gt.size[2] * (0.7 + 0.6 * r())],
          yawRad: gt.yawRad + (r() - 0.5) * 0.8 + flip,
          velocity: [(gt.velocity?.[0] ?? 0) + (r() - 0.5) * 3, (gt.velocity?.[1] ?? 0) + (r() - 0.5) * 3],
          score: Math.min(0.999, Math.max(0.001, 0.9 - offset / 4 + (r() - 0.5) * 0.4)),
        });
      }
      const clutter = Math.floor(r() * 3);
      for (let k = 0; k < clutter; k++) {
        preds.push({
          sampleId,
          className,
          center: [r() * 60 - 30, r() * 60 - 30, 0],
          size: base,
          yawRad: 0,
          velocity: [0, 0],
          score: r() * 0.6,
        });
      }
    }
    if (r() < 0.3) {
      preds.push({ sampleId, className: 'truck', center: [0, 0, 0], size: [2.5, 8, 3], yawRad: 0, velocity: [0, 0], score: r() });
    }
  }
  return { truth, preds };
}

describe('detection AP and TP errors against the nuScenes devkit (peer run in the test)', () => {
  it('gives the devkit’s AP per class and threshold and its TP errors on a random scene', () => {
    if (!hasDevkit()) {
      console.warn('skipped: /usr/bin/python3 lacks nuscenes-devkit/pyquaternion (pip, --no-deps)');
      return;
    }
    const { truth, preds } = makeScene(42);
    const classes = ['barrier', 'car', 'pedestrian', 'truck'];
    const toPeer = (b: EvalBox, score?: number): Record<string, unknown> => ({
      sample: b.sampleId,
      name: b.className,
      trans: b.center,
      size: b.size,
      yaw: b.yawRad,
      vel: b.velocity,
      ...(score === undefined ? {} : { score }),
    });
    const input = {
      gt: truth.map((b) => toPeer(b)),
      pred: preds.map((b) => toPeer(b, b.score)),
      classes,
      dist_ths: NUSCENES_DETECTION_CONFIG.distanceThresholdsM,
      tp_th: 2,
    };
    const run = spawnSync(PYTHON, [PEER], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(run.status, run.stderr).toBe(0);
    const peer = JSON.parse(run.stdout) as Record<string, { ap: Record<string, number>; tp: Record<string, number> }>;

    const ours = evaluateDetections(truth, preds, {
      ...NUSCENES_DETECTION_CONFIG,
      classNames: classes,
      halfPeriodYawClasses: ['barrier'],
    });
    const tpNames = { transErr: 'trans_err', scaleErr: 'scale_err', orientErr: 'orient_err', velErr: 'vel_err' } as const;
    for (const c of ours.classes) {
      const p = peer[c.className];
      expect(p, c.className).toBeDefined();
      for (const t of NUSCENES_DETECTION_CONFIG.distanceThresholdsM) {
        expect(c.apByThreshold[String(t)], `${c.className} AP@${t}`).toBeCloseTo(p?.ap[String(t)] ?? Number.NaN, 10);
      }
      for (const [ts, py] of Object.entries(tpNames) as [keyof typeof tpNames, string][]) {
        expect(c.tpErrors[ts], `${c.className} ${py}`).toBeCloseTo(p?.tp[py] ?? Number.NaN, 10);
      }
    }
    // The scene is not degenerate: APs rise with the threshold and lie strictly between 0 and 1.
    const car = ours.classes.find((c) => c.className === 'car');
    expect(car?.apByThreshold['0.5']).toBeGreaterThan(0.05);
    expect(car?.apByThreshold['0.5']).toBeLessThan(car?.apByThreshold['4'] ?? 0);
    expect(car?.apByThreshold['4']).toBeLessThan(1);
  });
});
