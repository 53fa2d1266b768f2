import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { openSileroPool } from '@sensorfuse/audio';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { audioChunkSchema, audioEventsSchema, type AudioChunk, type AudioEvents } from '@sensorfuse/schemas';
import { MemoryBus } from '@sensorfuse/transport';
import { firstValueFrom, take, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { loadAudioConfig } from './config.js';
import { createAudioWorker } from './worker.js';

const registry = new SchemaRegistry();
const chunks = createCodec<AudioChunk>(registry, audioChunkSchema);
const events = createCodec<AudioEvents>(registry, audioEventsSchema);
const T0 = 1_767_225_600_000_000;

/** A sentence spoken by espeak-ng (Debian package), mono float samples, or undefined when it is absent. */
function espeak(text: string): { samples: Float32Array; rate: number } | undefined {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'audio-worker-')), 'speech.wav');
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

/** Seeded white Gaussian noise (LCG + Box-Muller), so the test does not depend on Math.random. */
function whiteNoise(n: number, sigma: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return (s + 1) / 4_294_967_297;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = sigma * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

it('a spoken sentence in 10 dB white noise comes out of obs.audio as speech events within the spoken span, the noise around it as none', async () => {
  const speech = espeak('The quick brown fox jumps over the lazy dog, near the bank of the river.');
  if (speech === undefined) {
    console.warn('skipped: espeak-ng is not installed (Debian package espeak-ng)');
    return;
  }
  const { rate } = speech;
  // Spoken span from the waveform itself: first and last sample above 1 % of full scale.
  let first = -1;
  let last = -1;
  for (let i = 0; i < speech.samples.length; i++) {
    if (Math.abs(speech.samples[i] ?? 0) > 0.01) {
      if (first < 0) first = i;
      last = i;
    }
  }
  let power = 0;
  for (let i = first; i <= last; i++) power += (speech.samples[i] ?? 0) ** 2;
  power /= last - first + 1;
  // 1.5 s of noise, the sentence, 1.5 s of noise; noise power 10 dB below the speech power over its span.
  const lead = Math.round(1.5 * rate);
  const signal = whiteNoise(lead + speech.samples.length + lead, Math.sqrt(power / 10), 7);
  for (let i = 0; i < speech.samples.length; i++) signal[lead + i] = (signal[lead + i] ?? 0) + (speech.samples[i] ?? 0);
  const spokenFromUs = T0 + Math.round(((lead + first) * 1e6) / rate);
  const spokenToUs = T0 + Math.round(((lead + last) * 1e6) / rate);

  // A single microphone: DOA off (the configured array has four).
  const bus = new MemoryBus();
  await bus.admin.createTopics([
    { topic: 'raw.audio', partitions: 1 },
    { topic: 'obs.audio', partitions: 1 },
  ]);
  const pool = await openSileroPool();
  const worker = createAudioWorker(bus, loadAudioConfig({ SENSORFUSE_AUDIO_AUDIO_DOA_MODE: 'off' }), { vadRunner: pool });
  worker.start();
  try {
    const per = Math.round(rate / 10);
    const input: AudioChunk[] = [];
    for (let i = 0, seq = 0; i < signal.length; i += per, seq++) {
      const part = signal.subarray(i, Math.min(signal.length, i + per));
      const s16 = Buffer.alloc(part.length * 2);
      for (let k = 0; k < part.length; k++) s16.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round((part[k] ?? 0) * 32768))), 2 * k);
      const captureTimeUs = T0 + Math.round((i * 1e6) / rate);
      input.push({ rigId: 'rig-s', sensorId: 'mic_cabin', seq, captureTimeUs, publishTimeUs: captureTimeUs, frameId: 'base_link', sampleFormat: 's16le', channels: 1, sampleRateHz: rate, frames: part.length, data: s16 });
    }
    await bus.publish('raw.audio', input.map((c) => ({ key: c.rigId, value: chunks.encode(c) })));
    const out = (
      await firstValueFrom(bus.subscribe({ groupId: `reader-${randomBytes(4).toString('hex')}`, topics: ['obs.audio'], fromBeginning: true }).pipe(take(input.length), toArray()))
    ).map((r) => events.decode(r.value));

    const speechEvents = out.flatMap((o) => o.events.filter((e) => e.eventClass === 'speech'));
    expect(speechEvents.length).toBeGreaterThan(0);
    // Every reported segment lies in the spoken span (Silero's onset may lead by a window, its end lags ~160 ms at 10 dB).
    for (const e of speechEvents) {
      expect(e.onsetUs).toBeGreaterThanOrEqual(spokenFromUs - 200_000);
      expect(e.offsetUs).toBeLessThanOrEqual(spokenToUs + 400_000);
    }
    // The union of the segments covers most of what was spoken.
    const covered = new Set<number>();
    for (const e of speechEvents) for (let t = Math.max(e.onsetUs, spokenFromUs); t < Math.min(e.offsetUs, spokenToUs); t += 10_000) covered.add(Math.floor((t - spokenFromUs) / 10_000));
    expect(covered.size / ((spokenToUs - spokenFromUs) / 10_000)).toBeGreaterThan(0.7);
    // The noise-only lead (after the VAD's first windows) has no speech and a low voice probability.
    const leadRecords = out.filter((o) => o.captureTimeUs + o.windowDurationUs <= spokenFromUs - 200_000);
    expect(leadRecords.length).toBeGreaterThan(10);
    expect(leadRecords.every((o) => o.voiceProbability < 0.5 && o.events.length === 0)).toBe(true);
  } finally {
    await worker.drain();
    await pool.close();
  }
});
