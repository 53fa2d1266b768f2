import { describe, expect, it } from 'vitest';
import { encodeF32le, encodeS16le } from './decode.js';
import { AudioFormatError, AudioNonFiniteError, AudioTimeOverlapError } from './errors.js';
import { openSileroRunner } from './model-runners.js';
import { AudioProcessor, defaultAudioProcessorParams, type AudioChunkLike } from './processor.js';
import { add, tone, whiteNoise } from './test-signals.js';

const FS = 16000;
const T0 = 1_700_000_000_000_000;

function chunk(samples: Float32Array[], startUs: number, format: 's16le' | 'f32le' = 's16le'): AudioChunkLike {
  const frames = samples[0]?.length ?? 0;
  return {
    sensorId: 'mic',
    captureTimeUs: startUs,
    sampleFormat: format,
    channels: samples.length,
    sampleRateHz: FS,
    frames,
    data: format === 's16le' ? encodeS16le(samples) : encodeF32le(samples),
  };
}

describe('AudioProcessor', () => {
  it('continues across back-to-back chunks, resets after a gap and after a backwards jump, rejects an overlap', async () => {
    const proc = new AudioProcessor(defaultAudioProcessorParams(FS, 2));
    const x = whiteNoise(1600, 0.05, 1);
    const two = [x, x];
    expect((await proc.process(chunk(two, T0))).discontinuity).toBe('start');
    expect((await proc.process(chunk(two, T0 + 100_000))).discontinuity).toBe('none');
    // 400 µs of jitter is tolerated
    expect((await proc.process(chunk(two, T0 + 200_400))).discontinuity).toBe('none');
    // 50 ms of lost audio
    expect((await proc.process(chunk(two, T0 + 350_000))).discontinuity).toBe('gap');
    // the next chunk continues from the gap's chunk
    expect((await proc.process(chunk(two, T0 + 450_000))).discontinuity).toBe('none');
    // starts 50 ms before the previous chunk ended
    await expect(proc.process(chunk(two, T0 + 500_000))).rejects.toBeInstanceOf(AudioTimeOverlapError);
    // the rejected chunk changed nothing: the expected continuation still fits
    expect((await proc.process(chunk(two, T0 + 550_000))).discontinuity).toBe('none');
    // a replay loop back to the start
    expect((await proc.process(chunk(two, T0))).discontinuity).toBe('restart');
  });

  it('rejects chunks whose channel count or rate disagrees with the calibration, and NaN samples', async () => {
    const proc = new AudioProcessor(defaultAudioProcessorParams(FS, 2));
    const x = whiteNoise(320, 0.05, 2);
    await expect(proc.process(chunk([x], T0))).rejects.toThrow(/expected 2 channels at 16000 Hz \(calibration\), found 1 channels/);
    await expect(proc.process({ ...chunk([x, x], T0), sampleRateHz: 48000 })).rejects.toBeInstanceOf(AudioFormatError);
    const bad = Float32Array.from(x);
    bad[7] = Number.NaN;
    await expect(proc.process(chunk([x, bad], T0, 'f32le'))).rejects.toBeInstanceOf(AudioNonFiniteError);
    await expect(proc.process({ ...chunk([x, x], T0), frames: 321 })).rejects.toBeInstanceOf(AudioFormatError);
  });

  it('rates a clean loud tone as reliable, the same tone in heavy noise less, and a clipped one as unreliable', async () => {
    const run = async (signal: Float32Array): Promise<number> => {
      const proc = new AudioProcessor(defaultAudioProcessorParams(FS, 1));
      let last = 0;
      for (let i = 0; i < signal.length; i += 1600) last = (await proc.process(chunk([signal.subarray(i, i + 1600)], T0 + i * 62.5))).reliability;
      return last;
    };
    const n = 3 * FS;
    const quiet = whiteNoise(n, 0.005, 3);
    const clean = await run(add(quiet, tone(n, FS, 500, 0.3, 2 * FS)));
    const noisy = await run(add(whiteNoise(n, 0.2, 4), tone(n, FS, 500, 0.3, 2 * FS)));
    const clipped = await run(add(quiet, tone(n, FS, 500, 1.5, 2 * FS)));
    expect(clean).toBeGreaterThan(0.9);
    expect(noisy).toBeLessThan(0.6);
    expect(clipped).toBeLessThan(0.1);
  });

  it('places log-mel rows in capture time: a tone switched on at 1 s shows up in the row that starts there', async () => {
    const proc = new AudioProcessor(defaultAudioProcessorParams(FS, 1));
    const n = 2 * FS;
    const x = add(whiteNoise(n, 0.001, 5), tone(n, FS, 1000, 0.3, FS));
    const rows: { t: number; energy: number }[] = [];
    for (let i = 0; i < n; i += 1600) {
      const a = await proc.process(chunk([x.subarray(i, i + 1600)], T0 + i * 62.5));
      for (let r = 0; r < a.logMel.frames; r++) {
        let e = -Infinity;
        for (let m = 0; m < a.logMel.nMels; m++) e = Math.max(e, a.logMel.data[r * a.logMel.nMels + m] as number);
        rows.push({ t: a.logMelFirstFrameUs + r * a.logMelHopUs, energy: e });
      }
    }
    const onset = rows.find((r) => r.energy > -20);
    expect(onset).toBeDefined();
    // the first loud row starts within one 32 ms analysis frame before the onset
    expect(Math.abs((onset?.t ?? 0) - (T0 + 1_000_000))).toBeLessThan(40_000);
  });

  it('with vadBatchUs runs the same VAD windows with the same probabilities and start times, only later (held until 400 ms are pending)', async () => {
    const runner = await openSileroRunner({ thread: 'calling' });
    try {
      // 2 s of a syllable-modulated harmonic tone in noise, 100 ms chunks; activity gate off so every window runs
      const n = 2 * FS;
      const x = add(whiteNoise(n, 0.01, 3), tone(n, FS, 220, 0.3));
      for (let i = 0; i < n; i++) x[i] = (x[i] as number) * (0.2 + Math.sin((Math.PI * i) / 4000) ** 2);
      const base = defaultAudioProcessorParams(FS, 1);
      const gateOff = { ...base, activityGate: { ...base.activityGate, mode: 'off' as const } };
      const run = async (vadBatchUs: number) => {
        const proc = new AudioProcessor({ ...gateOff, vadBatchUs }, { vadRunner: runner });
        const probs: number[] = [];
        const starts: number[] = [];
        const reportedIn: number[] = [];
        for (let k = 0; k < 20; k++) {
          const a = await proc.process(chunk([x.slice(k * 1600, (k + 1) * 1600)], T0 + k * 100_000));
          for (const [i, p] of (a.vad?.probabilities ?? []).entries()) {
            probs.push(p);
            starts.push(a.vad?.windowStartsUs[i] ?? Number.NaN);
            reportedIn.push(k);
          }
        }
        return { probs, starts, reportedIn };
      };
      const now = await run(0);
      const held = await run(400_000);
      // 2 s = 62 whole windows of 512; with 400 ms groups the last group (1.6–2.0 s) completes in the last chunk
      expect(now.probs.length).toBe(62);
      expect(held.probs).toEqual(now.probs);
      expect(held.starts).toEqual(now.starts);
      // window k starts at k·32 ms whatever the chunking
      expect(held.starts.slice(0, 3)).toEqual([T0, T0 + 32_000, T0 + 64_000]);
      // held: nothing before the 4th chunk, and every window reported no earlier than without holding
      expect(held.reportedIn[0]).toBe(3);
      held.reportedIn.forEach((k, i) => {
        expect(k).toBeGreaterThanOrEqual(now.reportedIn[i] as number);
      });
    } finally {
      await runner.close();
    }
  });
});
