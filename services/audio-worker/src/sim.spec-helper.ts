import type { AudioChunk } from '@sensorfuse/schemas';
import { CoreSimulation, resolveScenario, toAudioChunk } from '@sensorfuse/simulator';

/** Audio chunks (4 mics, 16 kHz, 50 ms, s16le) of a simulator scene: a horn on car 0 from 0.8 s, 15 dB. */
export function simulatedChunks(durationS: number, rigId: string, seed = 2): AudioChunk[] {
  const scenario = resolveScenario({
    durationS,
    rigId,
    sounds: { events: [{ kind: 'horn', objectIndex: 0, onsetS: 0.8, durationS: 1, levelDb: 0 }], randomEventsPerMinute: 0 },
  });
  const out: AudioChunk[] = [];
  for (const r of new CoreSimulation(scenario, { seed, sensors: ['audio'] }).records()) if (r.kind === 'audio') out.push(toAudioChunk(r));
  return out;
}

/** The same descriptor with f32le samples all NaN (a broken driver's output). */
export function nanChunk(like: AudioChunk): AudioChunk {
  const samples = new Float32Array(like.frames * like.channels).fill(Number.NaN);
  return { ...like, sampleFormat: 'f32le', data: Buffer.from(samples.buffer) };
}
