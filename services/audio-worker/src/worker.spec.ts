import { randomBytes } from 'node:crypto';
import { openSileroPool } from '@sensorfuse/audio';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { audioChunkSchema, audioEventsSchema, type AudioChunk, type AudioEvents } from '@sensorfuse/schemas';
import { DEAD_LETTER_HEADERS, MemoryBus, headerText, type Bus, type ConsumedRecord } from '@sensorfuse/transport';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { loadAudioConfig } from './config.js';
import { nanChunk, simulatedChunks } from './sim.spec-helper.js';
import { createAudioWorker } from './worker.js';

const registry = new SchemaRegistry();
const chunks = createCodec<AudioChunk>(registry, audioChunkSchema);
const events = createCodec<AudioEvents>(registry, audioEventsSchema);

function read(bus: Bus, topic: string, count: number): Promise<ConsumedRecord[]> {
  return firstValueFrom(bus.subscribe({ groupId: `reader-${randomBytes(4).toString('hex')}`, topics: [topic], fromBeginning: true }).pipe(take(count), toArray()));
}

describe('audio worker on MemoryBus', () => {
  it('publishes one AudioEvents per good chunk and sends every kind of bad chunk to raw.audio.dlq with the reason', async () => {
    const bus = new MemoryBus();
    await bus.admin.createTopics([
      { topic: 'raw.audio', partitions: 2 },
      { topic: 'obs.audio', partitions: 2 },
    ]);
    const pool = await openSileroPool();
    const worker = createAudioWorker(bus, loadAudioConfig({}), { vadRunner: pool });
    worker.start();
    try {
      const good = simulatedChunks(2, 'rig-1');
      expect(good).toHaveLength(40);
      const first = good.slice(0, 20);
      const rest = good.slice(20);
      const next = rest[0];
      if (next === undefined) throw new Error('no chunk');
      // Every bad chunk claims the slot of the next good one, so a worker that took it would break the stream's continuity.
      const goodBytes = chunks.encode(next);
      const junk = randomBytes(300);
      junk[0] = 0x01;
      const newer = { ...audioChunkSchema, fields: [...audioChunkSchema.fields, { name: 'gainDb', type: 'double', default: 0 }] };
      const unknownWriter = createCodec<AudioChunk & { gainDb: number }>(new SchemaRegistry(), newer);
      const bad: [string, Buffer][] = [
        ['NotSingleObjectError', junk],
        ['TruncatedRecordError', goodBytes.subarray(0, 40)],
        ['UnknownFingerprintError', unknownWriter.encode({ ...next, gainDb: 3 })],
        ['AudioNonFiniteError', chunks.encode(nanChunk(next))],
        // 4-channel bytes announced as 3 channels: 6400 bytes are not whole 3 × 2-byte frames.
        ['AudioFormatError', chunks.encode({ ...next, channels: 3 })],
        // Consistent bytes, but 2 channels where the sensor's stream (and the array) has 4.
        ['AudioFormatError', chunks.encode({ ...next, channels: 2, frames: 1600 })],
        ['AudioFormatError', chunks.encode({ ...next, data: next.data.subarray(0, next.data.length - 1) })],
        ['InvalidRecordError', chunks.encode({ ...next, captureTimeUs: Date.now() * 1000 + 3_600_000_000 })],
        ['InvalidRecordError', chunks.encode({ ...next, captureTimeUs: 1000 })],
        ['UnsupportedAudioChunkError', chunks.encode({ ...next, sampleRateHz: 1_000_000 })],
        ['AudioTimeOverlapError', chunks.encode({ ...next, captureTimeUs: next.captureTimeUs - 25_000 })],
        // A new sensor whose stereo pair does not match the configured 4-mic array.
        ['MicrophoneArrayMismatchError', chunks.encode({ ...next, sensorId: 'mic_stereo', channels: 2, frames: 400 })],
      ];
      await bus.publish('raw.audio', first.map((c) => ({ key: c.rigId, value: chunks.encode(c) })));
      await bus.publish('raw.audio', bad.map(([, value]) => ({ key: 'rig-1', value })));
      await bus.publish('raw.audio', rest.map((c) => ({ key: c.rigId, value: chunks.encode(c) })));

      const letters = await read(bus, 'raw.audio.dlq', bad.length);
      expect(letters.map((l) => headerText(l.headers, DEAD_LETTER_HEADERS.errorClass))).toEqual(bad.map(([reason]) => reason));
      expect(headerText(letters[3]?.headers ?? {}, DEAD_LETTER_HEADERS.errorMessage)).toMatch(/non-finite value at interleaved index 0/);
      expect(headerText(letters[9]?.headers ?? {}, DEAD_LETTER_HEADERS.errorMessage)).toMatch(/sample rate in \[8000, 96000\] Hz, found 1000000/);
      expect(letters[0]?.value.equals(junk)).toBe(true);

      const out = (await read(bus, 'obs.audio', good.length)).map((r) => ({ key: r.key, value: events.decode(r.value) }));
      expect(out.map((o) => o.value.captureTimeUs)).toEqual(good.map((c) => c.captureTimeUs));
      expect(out.map((o) => o.value.seq)).toEqual(good.map((_, i) => i));
      expect(out.every((o) => o.key === 'rig-1' && o.value.rigId === 'rig-1' && o.value.sensorId === 'mic_array' && o.value.windowDurationUs === 50_000)).toBe(true);
      // The VAD ran (probabilities from Silero) and the horn from 0.8 s has a bearing.
      expect(out.every((o) => o.value.voiceProbability >= 0 && o.value.voiceProbability <= 1)).toBe(true);
      expect(out.slice(20).some((o) => o.value.events.some((e) => e.bearingRad !== null))).toBe(true);
      expect(worker.stats()).toMatchObject({ deadLettered: bad.length, processed: good.length, published: good.length });
    } finally {
      await worker.drain();
      await pool.close();
    }
  });
});
