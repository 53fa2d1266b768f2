import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { InferencePool } from '@sensorfuse/inference';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeS16le } from './decode.js';
import { AudioProcessor, defaultAudioProcessorParams, type AudioAnalysis } from './processor.js';
import { power, whiteNoise } from './test-signals.js';
import { SpeechSegmenter, openSileroPool, type SpeechSegment } from './vad.js';

describe('SpeechSegmenter (Silero hysteresis: start 0.5, end 0.35, min speech 250 ms, min silence 100 ms)', () => {
  it('bridges a 32 ms dip, ends 100 ms into silence at the first quiet window, and drops a 160 ms blip', () => {
    const seg = new SpeechSegmenter();
    // 32 ms windows: 10 quiet, 12 speech, 1 dip, 5 speech, 10 quiet, 5 speech (blip), 10 quiet
    const probs = [
      ...Array<number>(10).fill(0.1),
      ...Array<number>(12).fill(0.9),
      0.2,
      ...Array<number>(5).fill(0.9),
      ...Array<number>(10).fill(0.1),
      ...Array<number>(5).fill(0.9),
      ...Array<number>(10).fill(0.1),
    ];
    const closed: { at: number; s: SpeechSegment }[] = [];
    probs.forEach((p, i) => {
      const s = seg.push(p, i * 32_000, (i + 1) * 32_000);
      if (s !== undefined) closed.push({ at: i, s });
    });
    // Hand-derived: onset at window 10 (320 ms); the first quiet window after the last speech is
    // window 28 (896 ms); it becomes final at window 31, whose end (1024 ms) is 128 ms ≥ 100 ms later.
    expect(closed).toEqual([{ at: 31, s: { onsetUs: 320_000, offsetUs: 896_000, meanProbability: expect.any(Number) as number, open: false } }]);
  });

  it('reports a long segment as open while it lasts', () => {
    const seg = new SpeechSegmenter();
    for (let i = 0; i < 10; i++) seg.push(0.9, i * 32_000, (i + 1) * 32_000);
    expect(seg.current(320_000)).toEqual({ onsetUs: 0, offsetUs: 320_000, meanProbability: expect.closeTo(0.9, 6) as number, open: true });
  });
});

// Real speech: espeak-ng (Debian package) speaks a sentence; the VAD must find it in noise.
function espeak(text: string): { samples: Float32Array; rate: number } | undefined {
  const dir = mkdtempSync(path.join(tmpdir(), 'vad-'));
  const file = path.join(dir, 'speech.wav');
  const r = spawnSync('espeak-ng', ['-w', file, text], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return undefined;
  const b = readFileSync(file);
  const rate = b.readUInt32LE(24);
  let off = 12;
  while (off + 8 <= b.length && b.toString('ascii', off, off + 4) !== 'data') off += 8 + b.readUInt32LE(off + 4);
  const start = off + 8;
  const n = Math.floor((b.length - start) / 2);
  const samples = new Float32Array(n);
  for (let i = 0; i < n; i++) samples[i] = b.readInt16LE(start + 2 * i) / 32768;
  return { samples, rate };
}

let pool: InferencePool | undefined;
async function vadPool(): Promise<InferencePool> {
  pool ??= await openSileroPool();
  return pool;
}
afterAll(async () => {
  await pool?.close();
});

const T0 = 1_700_000_000_000_000;

async function runVad(signal: Float32Array, rate: number, chunkMs: number): Promise<AudioAnalysis[]> {
  const proc = new AudioProcessor(defaultAudioProcessorParams(rate, 1), { vadRunner: await vadPool() });
  const per = Math.round((rate * chunkMs) / 1000);
  const out: AudioAnalysis[] = [];
  for (let i = 0; i < signal.length; i += per) {
    const part = signal.subarray(i, Math.min(signal.length, i + per));
    out.push(
      await proc.process({
        sensorId: 'mic',
        captureTimeUs: T0 + Math.round((i * 1e6) / rate),
        sampleFormat: 's16le',
        channels: 1,
        sampleRateHz: rate,
        frames: part.length,
        data: encodeS16le([part]),
      }),
    );
  }
  return out;
}

/** Final segments of a run: every closed one, plus the last open one if the stream ended inside speech. */
function segmentsOf(results: AudioAnalysis[]): SpeechSegment[] {
  const closed = results.flatMap((r) => r.vad?.segments.filter((s) => !s.open) ?? []);
  const lastOpen = results.at(-1)?.vad?.segments.find((s) => s.open);
  return lastOpen === undefined ? closed : [...closed, lastOpen];
}

describe('Silero VAD on real speech (espeak-ng) in white noise', () => {
  for (const snrDb of [10, 0]) {
    it(`finds the spoken span at ${String(snrDb)} dB SNR and nothing in the noise around it`, async () => {
      const speech = espeak('The quick brown fox jumps over the lazy dog, near the bank of the river.');
      if (speech === undefined) {
        console.warn('skipped: espeak-ng is not installed (Debian package espeak-ng)');
        return;
      }
      const { samples, rate } = speech;
      // Ground truth from the waveform itself: first and last sample above 1 % of the peak.
      let peak = 0;
      for (const v of samples) peak = Math.max(peak, Math.abs(v));
      const loud = (i: number): boolean => Math.abs(samples[i] as number) > 0.01 * peak;
      let first = 0;
      while (!loud(first)) first++;
      let last = samples.length - 1;
      while (!loud(last)) last--;
      const lead = rate; // 1 s of noise before, 1.5 s after
      const n = lead + samples.length + Math.round(1.5 * rate);
      const clean = new Float32Array(n);
      clean.set(samples, lead);
      const speechPower = power(samples, first, last + 1);
      const noise = whiteNoise(n, Math.sqrt(speechPower / 10 ** (snrDb / 10)), 77);
      const mixed = new Float32Array(n);
      for (let i = 0; i < n; i++) mixed[i] = (clean[i] as number) + (noise[i] as number);
      const onsetUs = T0 + Math.round(((lead + first) * 1e6) / rate);
      const offsetUs = T0 + Math.round(((lead + last) * 1e6) / rate);

      const results = await runVad(mixed, rate, 20);
      const segments = segmentsOf(results);
      expect(segments.length).toBeGreaterThan(0);
      // the activity gate lets (nearly) every window inside the spoken span through to Silero
      const inSpan = results.filter((r) => r.captureTimeUs >= onsetUs && r.captureTimeUs + r.windowDurationUs <= offsetUs);
      const spanWindows = inSpan.reduce((a, r) => a + (r.vad?.probabilities.length ?? 0), 0);
      const spanSkipped = inSpan.reduce((a, r) => a + (r.vad?.skipped ?? 0), 0);
      expect(spanWindows).toBeGreaterThan(50);
      expect(spanSkipped / spanWindows).toBeLessThan(0.1);
      // every segment lies in the spoken span, give or take Silero's 32 ms windows and its hang-over
      // (measured here: the end is 160 ms late at 10 dB and 340 ms late at 0 dB)
      for (const s of segments) {
        expect(s.onsetUs).toBeGreaterThan(onsetUs - 200_000);
        expect(s.offsetUs).toBeLessThan(offsetUs + 400_000);
      }
      // and together they cover most of it
      const covered = segments.reduce((a, s) => a + Math.min(s.offsetUs, offsetUs) - Math.max(s.onsetUs, onsetUs), 0);
      expect(covered / (offsetUs - onsetUs)).toBeGreaterThan(snrDb >= 10 ? 0.7 : 0.5);
    });
  }

  it('finds no speech in 5 s of white noise', async () => {
    const rate = 16000;
    const results = await runVad(whiteNoise(5 * rate, 0.05, 123), rate, 100);
    expect(segmentsOf(results)).toEqual([]);
    expect(Math.max(...results.map((r) => r.voiceProbability))).toBeLessThan(0.5);
    // stationary noise stays at the tracked floor: the activity gate skips Silero on most windows
    const windows = results.reduce((a, r) => a + (r.vad?.probabilities.length ?? 0), 0);
    const skipped = results.reduce((a, r) => a + (r.vad?.skipped ?? 0), 0);
    expect(skipped / windows).toBeGreaterThan(0.8);
  });

  it('serialises overlapping process() calls: firing all chunks at once gives the sequential result', async () => {
    const rate = 16000;
    const x = whiteNoise(rate, 0.05, 6);
    for (let i = 2000; i < 10000; i++) x[i] = (x[i] as number) + 0.3 * Math.sin((2 * Math.PI * 180 * i) / rate);
    const sequential = (await runVad(x, rate, 20)).flatMap((r) => Array.from(r.vad?.probabilities ?? []));
    const proc = new AudioProcessor(defaultAudioProcessorParams(rate, 1), { vadRunner: await vadPool() });
    const per = 320;
    const pending: Promise<AudioAnalysis>[] = [];
    for (let i = 0; i < x.length; i += per) {
      const part = x.subarray(i, i + per);
      pending.push(
        proc.process({
          sensorId: 'mic',
          captureTimeUs: T0 + Math.round((i * 1e6) / rate),
          sampleFormat: 's16le',
          channels: 1,
          sampleRateHz: rate,
          frames: part.length,
          data: encodeS16le([part]),
        }),
      );
    }
    const concurrent = (await Promise.all(pending)).flatMap((r) => Array.from(r.vad?.probabilities ?? []));
    expect(concurrent.length).toBe(31);
    expect(concurrent).toEqual(sequential);
  });

  it('gives the same window probabilities in 20 ms chunks as in 100 ms chunks (state carried across chunks)', async () => {
    const rate = 16000;
    const x = whiteNoise(rate, 0.05, 5);
    for (let i = 4000; i < 12000; i++) x[i] = (x[i] as number) + 0.3 * Math.sin((2 * Math.PI * 220 * i) / rate) * Math.sin((Math.PI * i) / 800);
    const probs = async (ms: number): Promise<number[]> => (await runVad(x, rate, ms)).flatMap((r) => Array.from(r.vad?.probabilities ?? []));
    const a = await probs(20);
    const b = await probs(100);
    expect(a.length).toBe(Math.floor(rate / 512));
    expect(a).toEqual(b);
  });
});
