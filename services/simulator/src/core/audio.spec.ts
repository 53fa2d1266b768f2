import { describe, expect, it } from 'vitest';
import { composeTransforms, rotationFromYawPitchRoll, transformPoint } from './geometry.js';
import type { Vec3 } from './geometry.js';
import type { AudioRecord, TruthRecord } from './records.js';
import { resolveScenario } from './scenario.js';
import { CoreSimulation } from './simulation-core.js';

/** Lag (in samples, parabolic sub-sample) of b relative to a that maximises their cross-correlation. */
function delayOf(a: Float64Array, b: Float64Array, maxLag: number): number {
  const corr = (lag: number): number => {
    let s = 0;
    for (let i = maxLag; i < a.length - maxLag; i++) s += (a[i] ?? 0) * (b[i + lag] ?? 0);
    return s;
  };
  let best = 0;
  let bestV = -Infinity;
  const vals = new Map<number, number>();
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const v = corr(lag);
    vals.set(lag, v);
    if (v > bestV) {
      bestV = v;
      best = lag;
    }
  }
  const l = vals.get(best - 1) ?? bestV;
  const r = vals.get(best + 1) ?? bestV;
  const den = l - 2 * bestV + r;
  return den < 0 ? best + (0.5 * (l - r)) / den : best;
}

describe('microphone array propagation', () => {
  it('delays a source between microphones by the path difference / 343 m/s, i.e. its bearing', () => {
    // The ego stands still (one stop covering the whole run); one pedestrian's dog barks (a broadband source) at high SNR.
    const sc = resolveScenario({
      durationS: 3,
      route: { stops: [{ atS: 0, durationS: 100 }] },
      traffic: { car: 0, truck: 0, pedestrian: 1, cyclist: 0, animal: 0 },
      sounds: { events: [{ kind: 'bark', objectIndex: 0, onsetS: 0.2, durationS: 2.6, levelDb: 0 }], randomEventsPerMinute: 0 },
      sensors: { audio: { snrDb: 30, chunkMs: 100 } },
    });
    const core = new CoreSimulation(sc, { seed: 3, sensors: ['audio'] });
    const arr = core.calibration.microphoneArrays[0];
    if (!arr) throw new Error('no array');
    const fs = arr.sampleRateHz;
    const chunks: { rec: AudioRecord; truth: TruthRecord }[] = [];
    let last: AudioRecord | undefined;
    for (const r of core.records()) {
      if (r.kind === 'audio') last = r;
      else if (r.kind === 'truth' && last && r.forSeq === last.seq) chunks.push({ rec: last, truth: r });
    }
    const pairs: [number, number][] = [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]];
    let compared = 0;
    const errors: number[] = [];
    const bearingErrors: number[] = [];
    for (const { rec, truth } of chunks) {
      const s = new Int16Array(rec.data.buffer, rec.data.byteOffset, rec.sampleCount * rec.channels);
      const ch = Array.from({ length: rec.channels }, (_, m) => Float64Array.from({ length: rec.sampleCount }, (_, i) => s[i * rec.channels + m] ?? 0));
      let energy = 0;
      for (const v of ch[0] ?? []) energy += v * v;
      if (Math.sqrt(energy / rec.sampleCount) < 100) continue; // a gap between barks (noise floor ≈ 26 counts at 30 dB SNR)
      const src = truth.objects[0]?.box.centerM;
      if (!src) continue;
      const e = truth.ego;
      const worldFromArray = composeTransforms({ rotation: rotationFromYawPitchRoll(e.yawRad, e.pitchRad, e.rollRad), translation: e.positionM }, arr.egoFromSensor);
      const mics = arr.positionsM.map((p) => transformPoint(worldFromArray, p));
      const dist = (p: Vec3): number => Math.hypot(p[0] - src[0], p[1] - src[1], p[2] - src[2]);
      for (const [i, j] of pairs) {
        const a = ch[i];
        const b = ch[j];
        const mi = mics[i];
        const mj = mics[j];
        if (!a || !b || !mi || !mj) continue;
        const expected = ((dist(mj) - dist(mi)) / 343) * fs;
        errors.push(Math.abs(delayOf(a, b, 24) - expected));
        compared++;
      }
      // Far-field bearing from the two orthogonal baselines of the square array (mic 0-1 along y, 0-3 along x).
      const a0 = ch[0];
      const a1 = ch[1];
      const a3 = ch[3];
      const m0 = arr.positionsM[0];
      const m1 = arr.positionsM[1];
      const m3 = arr.positionsM[3];
      if (!a0 || !a1 || !a3 || !m0 || !m1 || !m3) continue;
      const dy = (delayOf(a0, a1, 24) / fs) * 343; // = (r1 - r0) ≈ -(m1 - m0)·u
      const dx = (delayOf(a0, a3, 24) / fs) * 343;
      const uy = -dy / (m1[1] - m0[1]);
      const ux = -dx / (m3[0] - m0[0]);
      const centre: Vec3 = [(m0[0] + m3[0]) / 2, (m0[1] + m1[1]) / 2, m0[2]];
      const rel = transformPoint({ rotation: rotationFromYawPitchRoll(-e.yawRad, 0, 0), translation: [0, 0, 0] }, [src[0] - e.positionM[0], src[1] - e.positionM[1], 0]);
      const truthAz = Math.atan2(rel[1] - centre[1], rel[0] - centre[0]);
      let d = Math.atan2(uy, ux) - truthAz;
      d = Math.atan2(Math.sin(d), Math.cos(d));
      bearingErrors.push(Math.abs((d * 180) / Math.PI));
    }
    expect(compared).toBeGreaterThan(30);
    const mean = errors.reduce((x, y) => x + y, 0) / errors.length;
    expect(mean).toBeLessThan(0.5);
    expect(Math.max(...errors)).toBeLessThan(1.5);
    const meanBearing = bearingErrors.reduce((x, y) => x + y, 0) / bearingErrors.length;
    console.log(`TDOA mean error ${mean.toFixed(3)} samples over ${compared} pairs; bearing mean error ${meanBearing.toFixed(2)} deg`);
    expect(meanBearing).toBeLessThan(8);
  });

  it('scales the background noise to the configured SNR: 20 dB less SNR is 10x the noise RMS', () => {
    const rms = (snrDb: number): number => {
      const sc = resolveScenario({
        durationS: 1,
        traffic: { car: 1, truck: 0, pedestrian: 0, cyclist: 0, animal: 0 },
        sounds: { events: [], randomEventsPerMinute: 0 },
        sensors: { audio: { snrDb } },
      });
      const core = new CoreSimulation(sc, { seed: 3, sensors: ['audio'] });
      let sum = 0;
      let n = 0;
      for (const r of core.records()) {
        if (r.kind !== 'audio') continue;
        const s = new Int16Array(r.data.buffer, r.data.byteOffset, r.sampleCount * r.channels);
        for (const v of s) {
          sum += v * v;
          n++;
        }
      }
      return Math.sqrt(sum / n);
    };
    // Noise RMS = 0.1 / 10^(snr/20) of a unit source, times 0.25 · 32767 counts per unit.
    const at0 = rms(0);
    expect(at0).toBeGreaterThan(0.1 * 0.25 * 32767 * 0.85);
    expect(at0).toBeLessThan(0.1 * 0.25 * 32767 * 1.15);
    expect(at0 / rms(20)).toBeGreaterThan(9);
    expect(at0 / rms(20)).toBeLessThan(11);
  });
});
