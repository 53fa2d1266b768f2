import { openSileroPool, openSoundEventPool, SCHEMA_EVENT_CLASS, type SoundEvent } from '@sensorfuse/audio';
import type { AudioEvents } from '@sensorfuse/schemas';
import { CoreSimulation, resolveScenario, toAudioChunk, type SoundKind } from '@sensorfuse/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudioConfig } from '../config.js';
import { AudioCore } from './audio-core.js';

// The shipped classifier (models/audio-events) was trained on simulator seeds 1–40 and evaluated on
// 101–108 (tools/train-audio-events); these clips use seeds 201–205, which it has never heard.
// Onset/offset tolerance: the classifier scores a 480 ms patch every 160 ms and a patch names a class
// when the event covers ≥ 120 ms of it, so the first positive patch ends 120–280 ms after the onset
// (onset = its end − 200 ms: ±80 ms of quantisation), plus one 50 ms chunk of truth resolution and a
// patch of classifier uncertainty at the edges: 250 ms for the onset, 350 ms for the offset (the fading
// tail of a sound is scored less consistently than its attack; held-out median 74–126 ms).
const ONSET_TOLERANCE_US = 250_000;
const OFFSET_TOLERANCE_US = 350_000;

const CLIPS: readonly { kind: SoundKind; cls: SoundEvent['eventClass']; seed: number; durationS: number; vad: 'on' | 'off' }[] = [
  { kind: 'siren', cls: 'siren', seed: 201, durationS: 3, vad: 'on' },
  { kind: 'horn', cls: 'horn', seed: 202, durationS: 1.2, vad: 'on' },
  { kind: 'bark', cls: 'dog_bark', seed: 203, durationS: 2, vad: 'on' },
  { kind: 'impact', cls: 'impact', seed: 204, durationS: 0.3, vad: 'on' },
  // with the VAD off the classifier's speech events are the ones published
  { kind: 'speech', cls: 'speech', seed: 205, durationS: 2, vad: 'off' },
];

let vadPool: Awaited<ReturnType<typeof openSileroPool>>;
let eventPool: Awaited<ReturnType<typeof openSoundEventPool>>;
beforeAll(async () => {
  [vadPool, eventPool] = await Promise.all([openSileroPool(), openSoundEventPool()]);
});
afterAll(async () => {
  await Promise.all([vadPool.close(), eventPool.close()]);
});

describe('the shipped sound-event classifier in AudioCore', () => {
  for (const clip of CLIPS) {
    it(`names a held-out simulator ${clip.kind} ${clip.cls} with its onset and offset at the array`, async () => {
      // the source is the nearest plausible object of the scene (car 0 for vehicle sounds), level 0 dB, 20 dB scenario SNR
      const scenario = resolveScenario({
        durationS: 1.5 + clip.durationS + 1.5,
        sensors: { audio: { snrDb: 20 } },
        sounds: { events: [{ kind: clip.kind, objectIndex: -1, onsetS: 1.5, durationS: clip.durationS, levelDb: 0 }], randomEventsPerMinute: 0 },
      });
      const params = loadAudioConfig({}).audio;
      const core = new AudioCore({
        params: { ...params, vad: { ...params.vad, mode: clip.vad } },
        vadRunner: vadPool,
        eventRunner: eventPool,
        nowUs: () => 0,
      });
      const spans = new Map<number, { startUs: number; endUs: number }>();
      let truthOnsetUs: number | undefined;
      let truthOffsetUs = 0;
      const closed: SoundEvent[] = [];
      let open: readonly SoundEvent[] = [];
      const wire: AudioEvents[] = [];
      for (const r of new CoreSimulation(scenario, { seed: clip.seed, sensors: ['audio'] }).records()) {
        if (r.kind === 'audio') {
          wire.push(...(await core.update(toAudioChunk(r))));
          const events = core.latest()?.soundEvents?.events ?? [];
          closed.push(...events.filter((e) => !e.open));
          open = events.filter((e) => e.open);
          spans.set(r.seq, { startUs: r.captureTimeUs, endUs: r.captureTimeUs + (r.sampleCount / r.sampleRateHz) * 1e6 });
        } else if (r.kind === 'truth' && r.forSensorId === scenario.sensors.audio.sensorId && r.sounds.some((s) => s.kind === clip.kind)) {
          // truth at the array: the chunks the simulator says the sound reaches the microphones in
          const span = spans.get(r.forSeq);
          if (span === undefined) continue;
          truthOnsetUs ??= span.startUs;
          truthOffsetUs = span.endUs;
        }
      }
      const events = [...closed, ...open];
      expect(truthOnsetUs).toBeDefined();
      const onset = truthOnsetUs ?? 0;
      // exactly one event, of the right class
      expect(events.map((e) => e.eventClass)).toEqual([clip.cls]);
      const e = events[0];
      expect(Math.abs((e?.onsetUs ?? 0) - onset)).toBeLessThanOrEqual(ONSET_TOLERANCE_US);
      expect(Math.abs((e?.offsetUs ?? 0) - truthOffsetUs)).toBeLessThanOrEqual(OFFSET_TOLERANCE_US);
      // … and on the wire (obs.audio) with the schema's class symbol and the same onset
      const onWire = wire.flatMap((w) => w.events).filter((w) => w.eventClass !== 'unknown' && !(clip.vad === 'on' && w.eventClass === 'speech'));
      expect(onWire.length).toBeGreaterThan(0);
      expect(new Set(onWire.map((w) => w.eventClass))).toEqual(new Set([SCHEMA_EVENT_CLASS[clip.cls]]));
      expect(onWire.every((w) => w.onsetUs === e?.onsetUs)).toBe(true);
    });
  }
});
