import { randomBytes } from 'node:crypto';
import { loadAudioConfig, openAudioWorker } from '@sensorfuse/audio-worker';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { audioChunkSchema, audioEventsSchema, type AudioChunk, type AudioEvents } from '@sensorfuse/schemas';
import { CoreSimulation, resolveScenario, toAudioChunk } from '@sensorfuse/simulator';
import { DEAD_LETTER_HEADERS, KafkaBus, headerText, type ConsumedRecord } from '@sensorfuse/transport';
import { firstValueFrom, take, toArray } from 'rxjs';
import { expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from './support/infra.js';

const registry = new SchemaRegistry();
const chunks = createCodec<AudioChunk>(registry, audioChunkSchema);
const events = createCodec<AudioEvents>(registry, audioEventsSchema);
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

function read(bus: KafkaBus, topic: string, count: number): Promise<ConsumedRecord[]> {
  return firstValueFrom(bus.subscribe({ groupId: uniqueName('reader'), topics: [topic], fromBeginning: true }).pipe(take(count), toArray()));
}

it('audio worker over a real Kafka broker: chunks to AudioEvents keyed by rig with the trace continued, bad chunks to the DLQ', async () => {
  const bus = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'error' });
  const input = uniqueName('raw.audio');
  const output = uniqueName('obs.audio');
  const config = { ...loadAudioConfig({}), inputTopic: input, outputTopic: output, groupId: uniqueName('audio-worker') };
  // 1 s of the simulator's 4-mic array (50 ms chunks): a horn on car 0 from 0.3 s.
  const scenario = resolveScenario({ durationS: 1, rigId: 'rig-k', sounds: { events: [{ kind: 'horn', objectIndex: 0, onsetS: 0.3, durationS: 0.7, levelDb: 0 }], randomEventsPerMinute: 0 } });
  const good: AudioChunk[] = [];
  for (const r of new CoreSimulation(scenario, { seed: 4, sensors: ['audio'] }).records()) if (r.kind === 'audio') good.push(toAudioChunk(r));
  const worker = await openAudioWorker(bus, config);
  try {
    await bus.admin.createTopics([
      { topic: input, partitions: 2 },
      { topic: output, partitions: 2 },
    ]);
    worker.start();
    const junk = randomBytes(512);
    junk[0] = 0x01;
    const next = good[10];
    if (next === undefined) throw new Error('no chunk');
    const nan = { ...next, sampleFormat: 'f32le' as const, data: Buffer.from(new Float32Array(next.frames * next.channels).fill(Number.NaN).buffer) };
    await bus.publish(input, [
      ...good.slice(0, 10).map((c) => ({ key: c.rigId, value: chunks.encode(c), headers: { traceparent: TRACEPARENT } })),
      { key: 'rig-k', value: junk },
      { key: 'rig-k', value: chunks.encode(nan) },
      ...good.slice(10).map((c) => ({ key: c.rigId, value: chunks.encode(c) })),
    ]);
    const out = await read(bus, output, good.length);
    const decoded = out.map((r) => events.decode(r.value));
    expect(decoded.map((d) => d.seq)).toEqual(good.map((_, i) => i));
    expect(decoded.map((d) => d.captureTimeUs)).toEqual(good.map((c) => c.captureTimeUs));
    expect(out.every((r) => r.key === 'rig-k')).toBe(true);
    expect(headerText(out[0]?.headers ?? {}, 'traceparent')?.split('-')[1]).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    // The horn gives bearings once it sounds.
    expect(decoded.slice(8).some((d) => d.events.some((e) => e.bearingRad !== null))).toBe(true);

    const letters = await read(bus, `${input}.dlq`, 2);
    expect(letters.map((l) => headerText(l.headers, DEAD_LETTER_HEADERS.errorClass))).toEqual(['NotSingleObjectError', 'AudioNonFiniteError']);
    expect(letters[0]?.value.equals(junk)).toBe(true);
  } finally {
    await worker.drain();
    await bus.close();
  }
});
