import type { AudioEvents } from '@sensorfuse/schemas';
import { createSimulation, resolveScenario, toAudioChunk } from '@sensorfuse/simulator';
import { describe, expect, it } from 'vitest';
import { loadAudioConfig } from '../config.js';
import { AudioCore } from './audio-core.js';
import { MicrophoneArrayMismatchError } from './errors.js';

const T_PUBLISH = 1_767_225_600_000_000;

function angleErrorDeg(aRad: number, bDeg: number): number {
  return Math.abs(((((aRad * 180) / Math.PI - bDeg) % 360) + 540) % 360 - 180);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

describe('AudioCore on a simulator scene', () => {
  it('reports the siren of a car at the bearing the simulator rendered it from (median error ≤ 10°) and a higher SNR while it sounds', async () => {
    // Default rig (the 4-mic 0.3 m square the config defaults to), audio only, one siren on car 1 from 1.5 s to 5.5 s at 15 dB.
    const scenario = resolveScenario({
      durationS: 6,
      sounds: { events: [{ kind: 'siren', objectIndex: 1, onsetS: 1.5, durationS: 4, levelDb: 0 }], randomEventsPerMinute: 0 },
      sensors: { audio: { snrDb: 15 } },
    });
    const sim = createSimulation(scenario, { seed: 5, sensors: ['audio'] });
    const core = new AudioCore({ params: loadAudioConfig({}).audio, nowUs: () => T_PUBLISH });
    const outBySeq = new Map<number, AudioEvents>();
    const truthBySeq = new Map<number, { azimuthDeg: number } | null>();
    for await (const r of sim) {
      if (r.kind === 'audio') {
        const [out] = await core.update(toAudioChunk(r));
        if (out !== undefined) outBySeq.set(r.seq, out);
      } else if (r.kind === 'truth' && r.forSensorId === scenario.sensors.audio.sensorId) {
        const s = r.sounds;
        truthBySeq.set(r.forSeq, s.length === 1 && s[0]?.kind === 'siren' ? { azimuthDeg: s[0].azimuthDeg } : s.length === 0 ? null : { azimuthDeg: Number.NaN });
      }
    }
    // 50 ms chunks for 6 s.
    expect(outBySeq.size).toBe(120);
    const errors: number[] = [];
    const sirenSnr: number[] = [];
    const quietSnr: number[] = [];
    for (const [seq, truth] of truthBySeq) {
      const out = outBySeq.get(seq);
      expect(out).toBeDefined();
      if (out === undefined) continue;
      expect(out.frameId).toBe('base_link');
      expect(out.publishTimeUs).toBe(T_PUBLISH);
      if (truth === null) {
        quietSnr.push(out.snrDb);
      } else if (Number.isFinite(truth.azimuthDeg)) {
        sirenSnr.push(out.snrDb);
        const strongest = out.events.find((e) => e.bearingRad !== null);
        errors.push(strongest?.bearingRad == null ? 180 : angleErrorDeg(strongest.bearingRad, truth.azimuthDeg));
      }
    }
    // The siren is audible at the array for most of its 4 s (80 chunks).
    expect(errors.length).toBeGreaterThan(60);
    expect(median(errors)).toBeLessThanOrEqual(10);
    expect(errors.filter((e) => e <= 10).length / errors.length).toBeGreaterThan(0.7);
    // Sequence numbers of the output count the sensor's chunks from 0.
    expect([...outBySeq.values()].map((o) => o.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(median(sirenSnr)).toBeGreaterThan(median(quietSnr) + 10);
  });

  it('a first chunk whose channel count disagrees with the configured array is rejected without fixing the stream format', async () => {
    const core = new AudioCore({ params: loadAudioConfig({}).audio, nowUs: () => T_PUBLISH });
    const chunk = (channels: number, captureTimeUs: number) => ({
      rigId: 'rig', sensorId: 'mic', seq: 0, captureTimeUs, publishTimeUs: captureTimeUs, frameId: 'base_link',
      sampleFormat: 's16le' as const, channels, sampleRateHz: 16_000, frames: 800, data: Buffer.alloc(800 * channels * 2),
    });
    await expect(core.update(chunk(2, T_PUBLISH))).rejects.toBeInstanceOf(MicrophoneArrayMismatchError);
    await expect(core.update(chunk(2, T_PUBLISH))).rejects.toThrow(/expected 4 channels .* found 2/);
    const [out] = await core.update(chunk(4, T_PUBLISH + 50_000));
    expect(out?.seq).toBe(0);
    expect(out?.windowDurationUs).toBe(50_000);
  });
});
