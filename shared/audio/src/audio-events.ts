import type { AudioEvent, AudioEvents } from '@sensorfuse/schemas';
import type { AudioAnalysis } from './processor.js';

/** Record fields the analysis does not know: they come from the input record and the worker. */
export interface AudioEventsHeader {
  readonly rigId: string;
  readonly seq: number;
  readonly publishTimeUs: number;
  readonly frameId: string;
}

/**
 * The obs.audio record for one analysed chunk. Events: every speech segment the VAD reported in
 * this chunk (class `speech`, score = mean speech probability; an open segment ends at the newest
 * window and is reported again, longer, with the next chunk), and every direction-of-arrival
 * source (class `unknown` until a sound-event classifier names it, score = its PHAT coherence,
 * spanning the chunk). Speech events carry the strongest bearing of the chunk when there is one.
 */
export function toAudioEvents(analysis: AudioAnalysis, header: AudioEventsHeader): AudioEvents {
  const top = analysis.doa[0];
  const snrDb = analysis.snrDb;
  const events: AudioEvent[] = [];
  for (const s of analysis.vad?.segments ?? []) {
    events.push({
      eventClass: 'speech',
      score: s.meanProbability,
      onsetUs: s.onsetUs,
      offsetUs: s.offsetUs,
      bearingRad: top?.bearingRad ?? null,
      bearingStdRad: top?.bearingStdRad ?? null,
      snrDb,
    });
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
