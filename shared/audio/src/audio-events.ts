import type { AudioEvent, AudioEventClass, AudioEvents } from '@sensorfuse/schemas';
import type { AudioAnalysis } from './processor.js';
import type { SoundEventClass } from './sound-events.js';

/** Record fields the analysis does not know: they come from the input record and the worker. */
export interface AudioEventsHeader {
  readonly rigId: string;
  readonly seq: number;
  readonly publishTimeUs: number;
  readonly frameId: string;
}

/**
 * The AudioEvents class symbol of each classifier class. `dog_bark` and `impact` were appended to
 * AudioEventClass after the first release: readers on the older schema resolve them to `unknown`
 * (the enum default).
 */
export const SCHEMA_EVENT_CLASS: Readonly<Record<Exclude<SoundEventClass, 'background'>, AudioEventClass>> = Object.freeze({
  siren: 'siren',
  horn: 'horn',
  dog_bark: 'dog_bark',
  impact: 'impact',
  speech: 'speech',
});

/**
 * The obs.audio record for one analysed chunk. Events:
 * - every speech segment the VAD reported in this chunk (class `speech`, score = mean speech
 *   probability; an open segment ends at the newest window and is reported again, longer, with
 *   the next chunk);
 * - every sound event of the classifier (siren, horn, bark, impact; speech only when the VAD is
 *   off, since Silero is the better speech detector), closed or open like the speech segments,
 *   score = mean class probability;
 * - every direction-of-arrival source (class `unknown`, score = its PHAT coherence, spanning the chunk).
 * Speech and classified events carry the strongest bearing of the chunk when there is one.
 */
export function toAudioEvents(analysis: AudioAnalysis, header: AudioEventsHeader): AudioEvents {
  const top = analysis.doa[0];
  const snrDb = analysis.snrDb;
  const events: AudioEvent[] = [];
  const bearingRad = top?.bearingRad ?? null;
  const bearingStdRad = top?.bearingStdRad ?? null;
  for (const s of analysis.vad?.segments ?? []) {
    events.push({ eventClass: 'speech', score: s.meanProbability, onsetUs: s.onsetUs, offsetUs: s.offsetUs, bearingRad, bearingStdRad, snrDb });
  }
  for (const e of analysis.soundEvents?.events ?? []) {
    if (e.eventClass === 'speech' && analysis.vad !== undefined) continue;
    events.push({ eventClass: SCHEMA_EVENT_CLASS[e.eventClass], score: e.score, onsetUs: e.onsetUs, offsetUs: e.offsetUs, bearingRad, bearingStdRad, snrDb });
  }
  for (const d of analysis.doa) {
    events.push({
      eventClass: 'unknown',
      score: d.confidence,
      onsetUs: analysis.captureTimeUs,
      offsetUs: analysis.captureTimeUs + analysis.windowDurationUs,
      bearingRad: d.bearingRad,
      bearingStdRad: d.bearingStdRad,
      snrDb,
    });
  }
  return {
    rigId: header.rigId,
    sensorId: analysis.sensorId,
    seq: header.seq,
    captureTimeUs: analysis.captureTimeUs,
    publishTimeUs: header.publishTimeUs,
    frameId: header.frameId,
    windowDurationUs: analysis.windowDurationUs,
    events,
    voiceProbability: analysis.voiceProbability,
    snrDb,
    reliability: analysis.reliability,
  };
}
