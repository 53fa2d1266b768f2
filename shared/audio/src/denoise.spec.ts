import { describe, expect, it } from 'vitest';
import { Biquad, highPassCoefficients } from './biquad.js';
import { DEFAULT_DENOISE_PARAMS, SpectralDenoiser, snrDbFromPowers } from './denoise.js';
import { LogMelExtractor, DEFAULT_LOG_MEL_PARAMS } from './log-mel.js';
import { add, tone, whiteNoise } from './test-signals.js';

const FS = 16000;

/** Power of `x[from, to)` at frequency `hz` (squared magnitude of a single-bin DFT, normalised to sine power). */
function tonePower(x: Float32Array, hz: number, from: number, to: number): number {
  let re = 0;
  let im = 0;
  for (let i = from; i < to; i++) {
    const a = (2 * Math.PI * hz * i) / FS;
    re += (x[i] as number) * Math.cos(a);
    im += (x[i] as number) * Math.sin(a);
  }
  const n = to - from;
  return (2 * (re * re + im * im)) / (n * n);
}

function runDenoiser(x: Float32Array, chunk: number): { y: Float32Array; snr: number[] } {
  const d = new SpectralDenoiser({ ...DEFAULT_DENOISE_PARAMS, sampleRateHz: FS });
  const y = new Float32Array(x.length);
  const snr: number[] = [];
  for (let i = 0; i < x.length; i += chunk) {
    const part = x.subarray(i, Math.min(x.length, i + chunk));
    const out = new Float32Array(part.length);
    const frames = d.process(part, out);
    y.set(out, i);
    snr.push(snrDbFromPowers(frames.totalPower, frames.noisePower));
  }
  return { y, snr };
}

describe('SpectralDenoiser', () => {
  // Known answer: a 1 kHz sine of amplitude A in white noise of variance σ² has SNR 10·log10(A²/2 / σ²).
  for (const snrDb of [0, 10, 20]) {
    it(`estimates the SNR of a tone in white noise at ${String(snrDb)} dB within 1 dB once the noise floor is learnt`, () => {
      const sigma = 0.05;
      const amplitude = Math.sqrt(2 * sigma * sigma * 10 ** (snrDb / 10));
      const n = 3 * FS;
      const onset = 2 * FS; // 2 s of noise alone, then the tone
      const x = add(whiteNoise(n, sigma, 7 + snrDb), tone(n, FS, 1000, amplitude, onset));
      const { snr } = runDenoiser(x, 1600);
      const during = snr.slice(onset / 1600 + 1, onset / 1600 + 8); // 100-800 ms into the tone
      const mean = during.reduce((a, b) => a + b, 0) / during.length;
      expect(Math.abs(mean - snrDb)).toBeLessThan(1);
      const before = snr.slice(10, onset / 1600);
      expect(Math.max(...before)).toBeLessThan(snrDb - 5);
    });
  }

  it('removes ≥ 10 dB of stationary noise while keeping a tone within 1 dB', () => {
    const n = 3 * FS;
    const onset = 2 * FS;
    const noise = whiteNoise(n, 0.05, 3);
    const sine = tone(n, FS, 1000, 0.1, onset);
    const { y } = runDenoiser(add(noise, sine), 1600);
    const lat = DEFAULT_DENOISE_PARAMS.frameLength;
    const noiseIn = noise.subarray(FS, onset).reduce((a, b) => a + b * b, 0);
    const noiseOut = y.subarray(FS + lat, onset).reduce((a, b) => a + b * b, 0);
    expect(10 * Math.log10(noiseIn / noiseOut)).toBeGreaterThan(10);
    const tIn = tonePower(sine, 1000, onset + 1600, onset + 9600);
    const tOut = tonePower(y, 1000, onset + 1600 + lat, onset + 9600 + lat);
    expect(Math.abs(10 * Math.log10(tOut / tIn))).toBeLessThan(1);
  });

  it('gives the same samples, SNR powers and log-mel rows in 20 ms chunks as in one piece (no chunk-border artefacts)', () => {
    const n = FS;
    const x = add(whiteNoise(n, 0.05, 11), tone(n, FS, 700, 0.2, 4000));
    const chain = (chunk: number): { y: Float32Array; mel: number[]; total: number } => {
      const hp = new Biquad(highPassCoefficients(FS, 80));
      const d = new SpectralDenoiser({ ...DEFAULT_DENOISE_PARAMS, sampleRateHz: FS });
      const mel = new LogMelExtractor({ ...DEFAULT_LOG_MEL_PARAMS, sampleRateHz: FS, fmaxHz: 8000 });
      const y = new Float32Array(n);
      const rows: number[] = [];
      let total = 0;
      for (let i = 0; i < n; i += chunk) {
        const part = x.slice(i, Math.min(n, i + chunk));
        hp.process(part);
        const out = new Float32Array(part.length);
        total += d.process(part, out).totalPower;
        y.set(out, i);
        rows.push(...mel.push(out).data);
      }
      return { y, mel: rows, total };
    };
    const whole = chain(n);
    const small = chain(320);
    expect(small.y).toEqual(whole.y);
    expect(small.mel).toEqual(whole.mel);
    expect(small.total).toBeCloseTo(whole.total, 6);
    expect(whole.mel.length).toBe(64 * (1 + Math.floor((n - 512) / 160)));
  });
});

describe('SpectralDenoiser reconstruction', () => {
  it('with the gain floor at 1 returns the input delayed by exactly latencySamples (perfect reconstruction)', () => {
    const d = new SpectralDenoiser({ ...DEFAULT_DENOISE_PARAMS, sampleRateHz: FS, gainFloor: 1 });
    const x = whiteNoise(8000, 0.1, 42);
    const y = new Float32Array(x.length);
    for (let i = 0; i < x.length; i += 700) {
      const part = x.subarray(i, Math.min(x.length, i + 700));
      const out = new Float32Array(part.length);
      d.process(part, out);
      y.set(out, i);
    }
    expect(d.latencySamples).toBe(512);
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs((y[i] as number) - (i >= 512 ? (x[i - 512] as number) : 0)));
    expect(worst).toBeLessThan(1e-5);
  });
});
