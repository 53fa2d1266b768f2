import { describe, expect, it } from 'vitest';
import { encodeS16le } from './decode.js';
import { AudioProcessor, defaultAudioProcessorParams, type AudioAnalysis } from './processor.js';
import { whiteNoise } from './test-signals.js';
import type { Vec3 } from './gcc-phat.js';

const FS = 16000;
const C = 343;

/** Windowed-sinc fractional delay (±32 taps, Hann): y[n] = s(n − d), d in samples. */
function delayed(s: Float32Array, d: number): Float32Array {
  const y = new Float32Array(s.length);
  const half = 32;
  for (let n = 0; n < s.length; n++) {
    const centre = n - d;
    const m0 = Math.ceil(centre - half);
    let acc = 0;
    for (let m = m0; m <= centre + half; m++) {
      if (m < 0 || m >= s.length) continue;
      const t = centre - m;
      const sinc = t === 0 ? 1 : Math.sin(Math.PI * t) / (Math.PI * t);
      const w = 0.5 + 0.5 * Math.cos((Math.PI * t) / (half + 1));
      acc += (s[m] as number) * sinc * w;
    }
    y[n] = acc;
  }
  return y;
}

/**
 * Far-field plane wave from azimuth `deg`: mic i hears the source (p_i · u)/c earlier than the
 * array centre, i.e. delayed by −(p_i · u)/c seconds; each mic also gets its own white noise.
 */
function scene(mics: readonly Vec3[], sources: { deg: number; seed: number }[], seconds: number, snrDb: number): Float32Array[] {
  const n = Math.round(seconds * FS);
  const out = mics.map(() => new Float32Array(n));
  for (const src of sources) {
    const s = whiteNoise(n, 0.1, src.seed);
    const u = { x: Math.cos((src.deg * Math.PI) / 180), y: Math.sin((src.deg * Math.PI) / 180) };
    mics.forEach((p, i) => {
      const delaySamples = (-(p.x * u.x + p.y * u.y) / C) * FS;
      const y = delayed(s, delaySamples);
      const o = out[i] as Float32Array;
      for (let k = 0; k < n; k++) o[k] = (o[k] as number) + (y[k] as number);
    });
  }
  const noiseSigma = 0.1 * Math.sqrt(sources.length) * 10 ** (-snrDb / 20);
  mics.forEach((_, i) => {
    const w = whiteNoise(n, noiseSigma, 1000 + i);
    const o = out[i] as Float32Array;
    for (let k = 0; k < n; k++) o[k] = (o[k] as number) + (w[k] as number);
  });
  return out;
}

async function analyse(mics: readonly Vec3[], channels: Float32Array[], chunkMs: number): Promise<AudioAnalysis[]> {
  const proc = new AudioProcessor(defaultAudioProcessorParams(FS, mics.length), { array: { positions: mics, speedOfSoundMps: C } });
  const per = (FS * chunkMs) / 1000;
  const n = channels[0]?.length ?? 0;
  const results: AudioAnalysis[] = [];
  for (let i = 0; i + per <= n; i += per) {
    const part = channels.map((c) => c.subarray(i, i + per));
    results.push(
      await proc.process({
        sensorId: 'mic_array',
        captureTimeUs: 1_700_000_000_000_000 + Math.round((i * 1e6) / FS),
        sampleFormat: 's16le',
        channels: mics.length,
        sampleRateHz: FS,
        frames: per,
        data: encodeS16le(part),
      }),
    );
  }
  return results;
}

function angleErrorDeg(rad: number, deg: number): number {
  const d = ((rad * 180) / Math.PI - deg + 540) % 360 - 180;
  return Math.abs(d);
}

// The simulator's array: a 0.3 m square, mics counter-clockwise from front-left.
const SQUARE: Vec3[] = [
  { x: 0.15, y: 0.15, z: 0 },
  { x: 0.15, y: -0.15, z: 0 },
  { x: -0.15, y: -0.15, z: 0 },
  { x: -0.15, y: 0.15, z: 0 },
];

describe('GCC-PHAT direction of arrival', () => {
  for (const deg of [30, 135, -100]) {
    it(`finds a broadband source at ${String(deg)}° within 3° (median of 100 ms chunks at 10 dB SNR)`, async () => {
      const res = await analyse(SQUARE, scene(SQUARE, [{ deg, seed: 5 }], 1.2, 10), 100);
      const errors = res.slice(1).map((r) => {
        const top = r.doa[0];
        return top === undefined ? 180 : angleErrorDeg(top.bearingRad, deg);
      });
      errors.sort((a, b) => a - b);
      expect(errors[Math.floor(errors.length / 2)]).toBeLessThan(3);
      expect(res.at(-1)?.doa[0]?.confidence).toBeGreaterThan(0.3);
    });
  }

  it('reads a 2-sample delay on a two-mic pair as ±60° (hand-computed: d = 0.1715 m, τ = d·cos60°/c = 0.25 ms)', async () => {
    const d = (4 / FS) * C; // 4-sample end-fire delay
    const pair: Vec3[] = [
      { x: 0, y: 0, z: 0 },
      { x: d, y: 0, z: 0 },
    ];
    const s = whiteNoise(FS, 0.1, 9);
    // mic 1 (towards +x) hears a source at 60° 2 samples earlier than mic 0
    const x1 = new Float32Array(FS);
    for (let n = 0; n + 2 < FS; n++) x1[n] = s[n + 2] as number;
    const res = await analyse(pair, [s, x1], 100);
    const top = res.at(-1)?.doa[0];
    expect(top).toBeDefined();
    // a line array cannot tell +60° from −60°
    expect(Math.abs(Math.abs(((top?.bearingRad ?? 0) * 180) / Math.PI) - 60)).toBeLessThan(2);
  });

  it('reports two simultaneous sources 60° apart, both within 5°', async () => {
    const res = await analyse(SQUARE, scene(SQUARE, [{ deg: 20, seed: 21 }, { deg: 80, seed: 22 }], 1.2, 20), 200);
    let both = 0;
    for (const r of res.slice(1)) {
      const ok20 = r.doa.some((s) => angleErrorDeg(s.bearingRad, 20) < 5);
      const ok80 = r.doa.some((s) => angleErrorDeg(s.bearingRad, 80) < 5);
      if (ok20 && ok80) both++;
    }
    expect(both).toBeGreaterThanOrEqual(Math.ceil((res.length - 1) / 2));
  });

  it('reports no source, or only weak ones, for uncorrelated noise on every mic', async () => {
    const n = FS;
    const channels = SQUARE.map((_, i) => whiteNoise(n, 0.05, 300 + i));
    const res = await analyse(SQUARE, channels, 100);
    for (const r of res.slice(2)) for (const s of r.doa) expect(s.confidence).toBeLessThan(0.3);
  });
});
