import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@sensorfuse/random';
import { describe, expect, it } from 'vitest';
import { computeMotMetrics, MotAccumulator, type MotMetrics } from './mot.js';

const PYTHON = '/usr/bin/python3';
const PEER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../peer/motmetrics_peer.py');

function hasMotmetrics(): boolean {
  const r = spawnSync(PYTHON, ['-c', 'import motmetrics, pandas, scipy'], { encoding: 'utf8' });
  return r.status === 0;
}

interface Frame {
  oids: number[];
  hids: number[];
  dists: (number | null)[][];
}

/**
 * A crowded scene: objects walk in straight lines, enter and leave; a noisy tracker follows each with
 * position noise, misses frames, sometimes re-initialises with a new id, sometimes jumps to a neighbour's
 * id, and emits clutter tracks. Pairs farther than 1.5 m are not allowed (null).
 */
function makeSequence(seed: number, numFrames: number, numObjects: number): Frame[] {
  const r = seededRandom(seed);
  const objects = Array.from({ length: numObjects }, (_, i) => ({
    id: i + 1,
    x: r() * 30,
    y: r() * 30,
    vx: (r() - 0.5) * 1.2,
    vy: (r() - 0.5) * 1.2,
    start: Math.floor(r() * numFrames * 0.5),
    end: Math.floor(numFrames * (0.5 + r() * 0.5)),
    trackId: 1000 + i,
  }));
  let nextTrackId = 5000;
  const frames: Frame[] = [];
  for (let k = 0; k < numFrames; k++) {
    const truth: { id: number; x: number; y: number }[] = [];
    const tracks: { id: number; x: number; y: number }[] = [];
    for (const o of objects) {
      o.x += o.vx;
      o.y += o.vy;
      if (k < o.start || k > o.end) continue;
      truth.push({ id: o.id, x: o.x, y: o.y });
      const u = r();
      if (u < 0.1) continue; // missed
      if (u < 0.13) o.trackId = nextTrackId++; // re-initialised under a new id
      tracks.push({ id: o.trackId, x: o.x + (r() - 0.5) * 1.6, y: o.y + (r() - 0.5) * 1.6 });
    }
    const clutter = Math.floor(r() * 3);
    for (let c = 0; c < clutter; c++) tracks.push({ id: nextTrackId++, x: r() * 30, y: r() * 30 });
    // Occasionally two tracks swap ids (a classic identity switch).
    if (tracks.length >= 2 && r() < 0.05) {
      const a = tracks[0];
      const b = tracks[1];
      if (a !== undefined && b !== undefined) [a.id, b.id] = [b.id, a.id];
    }
    frames.push({
      oids: truth.map((t) => t.id),
      hids: tracks.map((t) => t.id),
      dists: truth.map((t) =>
        tracks.map((h) => {
          const d = Math.hypot(t.x - h.x, t.y - h.y);
          return d > 1.5 ? null : d;
        }),
      ),
    });
  }
  return frames;
}

const KEYS: [keyof MotMetrics, string][] = [
  ['numFrames', 'num_frames'],
  ['numMatches', 'num_matches'],
  ['numSwitches', 'num_switches'],
  ['numTransfer', 'num_transfer'],
  ['numAscend', 'num_ascend'],
  ['numMigrate', 'num_migrate'],
  ['numFalsePositives', 'num_false_positives'],
  ['numMisses', 'num_misses'],
  ['numDetections', 'num_detections'],
  ['numObjects', 'num_objects'],
  ['numPredictions', 'num_predictions'],
  ['numUniqueObjects', 'num_unique_objects'],
  ['mostlyTracked', 'mostly_tracked'],
  ['partiallyTracked', 'partially_tracked'],
  ['mostlyLost', 'mostly_lost'],
  ['numFragmentations', 'num_fragmentations'],
  ['mota', 'mota'],
  ['motp', 'motp'],
  ['precision', 'precision'],
  ['recall', 'recall'],
  ['idtp', 'idtp'],
  ['idfp', 'idfp'],
  ['idfn', 'idfn'],
  ['idp', 'idp'],
  ['idr', 'idr'],
  ['idf1', 'idf1'],
];

describe('CLEAR-MOT/IDF1 against py-motmetrics (peer run in the test)', () => {
  it('gives the same events counts and metrics on three random crowded sequences and overall', () => {
    if (!hasMotmetrics()) {
      console.warn('skipped: /usr/bin/python3 lacks motmetrics/pandas (apt python3-pandas, pip motmetrics)');
      return;
    }
    const sequences = [makeSequence(1, 120, 25), makeSequence(2, 80, 40), makeSequence(3, 150, 12)];
    const run = spawnSync(PYTHON, [PEER], { input: JSON.stringify({ sequences }), encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(run.status, run.stderr).toBe(0);
    const peer = JSON.parse(run.stdout) as { sequences: Record<string, number | null>[]; overall: Record<string, number | null> };

    const accs = sequences.map((frames) => {
      const acc = new MotAccumulator();
      for (const f of frames) acc.update(f.oids, f.hids, f.dists.map((row) => row.map((d) => d ?? Number.NaN)));
      return acc;
    });
    const ours = [...accs.map((a) => computeMotMetrics(a)), computeMotMetrics(accs)];
    const theirs = [...peer.sequences, peer.overall];
    ours.forEach((m, i) => {
      for (const [tsKey, pyKey] of KEYS) {
        const expected = theirs[i]?.[pyKey];
        expect(expected, `${pyKey} present`).not.toBeUndefined();
        if (expected === null) expect(m[tsKey], `${pyKey} seq ${i}`).toBeNaN();
        else expect(m[tsKey], `${pyKey} seq ${i}`).toBeCloseTo(expected as number, 9);
      }
    });
    // The sequences exercise what they should: switches, fragmentations and clutter all occur.
    const overall = ours[ours.length - 1] as MotMetrics;
    expect(overall.numSwitches).toBeGreaterThan(10);
    expect(overall.numFragmentations).toBeGreaterThan(10);
    expect(overall.numFalsePositives).toBeGreaterThan(50);
  });
});
