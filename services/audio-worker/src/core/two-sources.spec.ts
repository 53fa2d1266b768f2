import type { AudioEvents } from '@sensorfuse/schemas';
import { CoreSimulation, resolveScenario, toAudioChunk } from '@sensorfuse/simulator';
import { describe, expect, it } from 'vitest';
import { loadAudioConfig } from '../config.js';
import { AudioCore } from './audio-core.js';

const T_PUBLISH = 1_767_225_600_000_000;

/** Smallest angle between two azimuths, degrees. */
function separationDeg(aDeg: number, bDeg: number): number {
  return Math.abs(((((aDeg - bDeg) % 360) + 540) % 360) - 180);
}

describe('AudioCore DOA with two simultaneous sources on a simulator scene', () => {
  it('reports both bearings of a siren and a horn sounding together about 60° apart, each within 10° of the simulator truth', async () => {
    // Seed 16 of the default world: pedestrian 12 stands at about −38° (12 m) and pedestrian 15 at
    // about +20° (19 m) of the array between 10 and 13 s, 56–58° apart. A siren sounds on the first and
    // a horn on the second, both for the same 3 s, scenario SNR 10 dB (the "≥ 10 dB").
    // The scenario lasts 20 s so the world is the one the seed makes; the stream stops after 13.3 s.
    const scenario = resolveScenario({
      durationS: 20,
      sensors: { audio: { snrDb: 10 } },
      sounds: {
        events: [
          { kind: 'siren', objectIndex: 12, onsetS: 10, durationS: 3, levelDb: 0 },
          { kind: 'horn', objectIndex: 15, onsetS: 10, durationS: 3, levelDb: 0 },
        ],
        randomEventsPerMinute: 0,
      },
    });
    const endUs = scenario.startTimeUs + 13_300_000;
    const core = new AudioCore({ params: loadAudioConfig({}).audio, nowUs: () => T_PUBLISH });
    const outBySeq = new Map<number, AudioEvents>();
    const truthBySeq = new Map<number, readonly { azimuthDeg: number }[]>();
    for (const r of new CoreSimulation(scenario, { seed: 16, sensors: ['audio'] }).records()) {
      if (r.captureTimeUs > endUs) break;
      if (r.kind === 'audio') {
        const [out] = await core.update(toAudioChunk(r));
        if (out !== undefined) outBySeq.set(r.seq, out);
      } else if (r.kind === 'truth' && r.forSensorId === scenario.sensors.audio.sensorId) {
        truthBySeq.set(r.forSeq, r.sounds);
      }
    }
    let bothSounding = 0;
    let bothFound = 0;
    const separations: number[] = [];
    for (const [seq, sounds] of truthBySeq) {
      if (sounds.length !== 2) continue;
      const [a, b] = sounds as [{ azimuthDeg: number }, { azimuthDeg: number }];
      separations.push(separationDeg(a.azimuthDeg, b.azimuthDeg));
      bothSounding++;
      const bearingsDeg = (outBySeq.get(seq)?.events ?? [])
        .filter((e) => e.eventClass === 'unknown' && e.bearingRad !== null)
        .map((e) => ((e.bearingRad ?? 0) * 180) / Math.PI);
      // every reported source counts: at most audio.doa.maxSources (3) per chunk
      expect(bearingsDeg.length).toBeLessThanOrEqual(3);
      const found = (truthDeg: number) => bearingsDeg.some((d) => separationDeg(d, truthDeg) <= 10);
      if (found(a.azimuthDeg) && found(b.azimuthDeg)) bothFound++;
    }
    // The scene is what the test claims: 3 s of both sounds at the array (60 chunks of 50 ms), 50–70° apart.
    expect(bothSounding).toBeGreaterThanOrEqual(55);
    expect(Math.min(...separations)).toBeGreaterThan(50);
    expect(Math.max(...separations)).toBeLessThan(70);
    // Both sources within 10° in at least 80 % of those chunks (measured 57 of 60).
    expect(bothFound / bothSounding).toBeGreaterThanOrEqual(0.8);
  });
});
