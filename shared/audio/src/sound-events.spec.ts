import { describe, expect, it } from 'vitest';
import type { TensorMap } from '@sensorfuse/inference';
import { DEFAULT_SOUND_EVENT_PARAMS, SOUND_EVENT_CLASSES, SoundEventClassifier, SoundEventTracker, type SoundEvent } from './sound-events.js';

const patch = (k: number, siren: number, horn = 0) => {
  const p = new Float32Array(SOUND_EVENT_CLASSES.length);
  p[1] = siren;
  p[2] = horn;
  p[0] = 1 - siren - horn;
  // patches every 160 ms, 480 ms long
  return { startUs: k * 160_000, endUs: k * 160_000 + 480_000, probabilities: p, classified: true };
};

describe('SoundEventTracker', () => {
  it('starts an event at ≥ 0.6, keeps it while ≥ 0.4 and ends it after two patches below', () => {
    const t = new SoundEventTracker();
    const closed: SoundEvent[] = [];
    const probs = [0.1, 0.7, 0.5, 0.3, 0.2, 0.1];
    const open: SoundEvent[][] = [];
    probs.forEach((p, k) => {
      t.push(patch(k, p), closed);
      open.push(t.open());
    });
    // by hand: first patch ≥ 0.6 is k = 1 (ends at 640 ms) → onset 640 − 200 = 440 ms; the last patch ≥ 0.4 is
    // k = 2 (starts at 320 ms) → offset 520 ms; closed at k = 4 (second patch below 0.4); score mean(0.7, 0.5)
    expect(open[0]).toEqual([]);
    // while open after one patch the provisional offset is max(onset, 160 + 200 ms) = 440 ms
    expect(open[1]).toMatchObject([{ eventClass: 'siren', onsetUs: 440_000, offsetUs: 440_000, open: true }]);
    expect(open[1]?.[0]?.score).toBeCloseTo(0.7, 6);
    expect(open[3]?.length).toBe(1);
    expect(open[4]).toEqual([]);
    expect(closed).toHaveLength(1);
    expect(closed[0]?.eventClass).toBe('siren');
    expect(closed[0]?.onsetUs).toBe(440_000);
    expect(closed[0]?.offsetUs).toBe(520_000);
    expect(closed[0]?.score).toBeCloseTo(0.6, 6);
    expect(closed[0]?.open).toBe(false);
  });

  it('tracks two classes at once and ignores a single dip below the off threshold', () => {
    const t = new SoundEventTracker();
    const closed: SoundEvent[] = [];
    [[0.7, 0.2], [0.35, 0.62], [0.5, 0.6], [0.1, 0.1], [0.1, 0.1]].forEach(([s, h], k) => {
      t.push(patch(k, s ?? 0, h ?? 0), closed);
    });
    expect(closed.map((e) => [e.eventClass, e.onsetUs, e.offsetUs])).toEqual([
      ['siren', 280_000, 520_000], // k 0 → onset 480 − 200; k 1 is one dip only; last ≥ 0.4 at k 2 (320 ms) + 200
      ['horn', 440_000, 520_000],
    ]);
  });
});

/** A runner that records the patches it is given and answers "siren" for patches whose first row value is ≥ 100. */
function fakeRunner(seen: number[][]) {
  return {
    run(feeds: TensorMap) {
      const x = feeds.logmel;
      if (x === undefined) throw new Error('no logmel input');
      const [b, , rows, mels] = x.dims as [number, number, number, number];
      const data = x.data as Float32Array;
      const out = new Float32Array(b * SOUND_EVENT_CLASSES.length);
      for (let i = 0; i < b; i++) {
        const patchRows: number[] = [];
        for (let r = 0; r < rows; r++) patchRows.push(data[(i * rows + r) * mels] as number);
        seen.push(patchRows);
        out[i * SOUND_EVENT_CLASSES.length + ((patchRows[0] ?? 0) >= 100 ? 1 : 0)] = 1;
      }
      return Promise.resolve({ probabilities: { type: 'float32' as const, dims: [b, SOUND_EVENT_CLASSES.length], data: out } });
    },
  };
}

function rowsOf(from: number, count: number, nMels: number) {
  const data = new Float32Array(count * nMels);
  for (let r = 0; r < count; r++) data.fill(from + r, r * nMels, (r + 1) * nMels);
  return { frames: count, nMels, firstFrame: from, data };
}

describe('SoundEventClassifier', () => {
  it('cuts the same 48-row patches every 16 rows whatever the chunking, with their capture times', async () => {
    const cuts = [[300], [5, 30, 7, 50, 1, 0, 99, 108], [16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 12]];
    const results: number[][][] = [];
    for (const sizes of cuts) {
      const seen: number[][] = [];
      const c = new SoundEventClassifier(fakeRunner(seen), 8);
      c.restart();
      let row = 0;
      const starts: number[] = [];
      for (const n of sizes) {
        const r = await c.push(rowsOf(row, n, 8), 1_000_000 + row * 10_000, 10_000);
        for (const p of r.patches) starts.push(p.startUs);
        row += n;
      }
      // 300 rows → patches at rows 0, 16, …, 240 (240 + 48 ≤ 300 < 256 + 48): 16 patches
      expect(seen).toHaveLength(16);
      expect(starts).toEqual(Array.from({ length: 16 }, (_, k) => 1_000_000 + k * 160_000));
      seen.forEach((p, k) => {
        expect(p).toEqual(Array.from({ length: 48 }, (_, i) => k * 16 + i));
      });
      results.push(seen);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('reports an event from the patches the model scores, open then closed', async () => {
    const seen: number[][] = [];
    const c = new SoundEventClassifier(fakeRunner(seen), 4);
    c.restart();
    // rows 100–239 carry values ≥ 100, so the fake model says siren for the patches whose first row is in there:
    // starts 112, 128, …, 224; the patches from row 240 on say background again
    const events: SoundEvent[][] = [];
    for (let row = 0; row < 400; row += 40) {
      const r = rowsOf(row, 40, 4);
      for (let i = 0; i < r.frames; i++) {
        const v = row + i;
        r.data.fill(v >= 100 && v < 240 ? 100 + v : v % 100, i * 4, (i + 1) * 4);
      }
      events.push([...(await c.push(r, row * 10_000, 10_000)).events]);
    }
    const all = events.flat();
    const closed = all.filter((e) => !e.open);
    expect(closed).toHaveLength(1);
    // first siren patch starts at row 112 (ends at row 160 → 1.6 s): onset 1.6 − 0.2 = 1.4 s; last siren patch starts at row 224 → offset 2.44 s
    expect(closed[0]).toMatchObject({ eventClass: 'siren', onsetUs: 1_400_000, offsetUs: 2_440_000, score: 1 });
    expect(all.some((e) => e.open && e.eventClass === 'siren')).toBe(true);
    expect(DEFAULT_SOUND_EVENT_PARAMS.edgeUs).toBe(200_000);
  });
});
