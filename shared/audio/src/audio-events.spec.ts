import { describe, expect, it } from 'vitest';
import { toAudioEvents } from './audio-events.js';
import type { AudioAnalysis } from './processor.js';

describe('toAudioEvents', () => {
  it('turns speech segments, classified sound events and DOA sources into obs.audio events with the chunk header', () => {
    const analysis: AudioAnalysis = {
      sensorId: 'mic_array',
      captureTimeUs: 1_000_000,
      windowDurationUs: 100_000,
      discontinuity: 'none',
      snrDb: 12.5,
      reliability: 0.625,
      clippedFraction: 0,
      voiceProbability: 0.9,
      vad: {
        probabilities: Float32Array.of(0.9, 0.8, 0.9),
        windowStartsUs: [1_000_000, 1_032_000, 1_064_000],
        segments: [{ onsetUs: 700_000, offsetUs: 1_096_000, meanProbability: 0.85, open: true }],
        skipped: 0,
      },
      soundEvents: {
        patches: [],
        events: [
          { eventClass: 'dog_bark', onsetUs: 400_000, offsetUs: 900_000, score: 0.8, open: false },
          { eventClass: 'speech', onsetUs: 650_000, offsetUs: 1_050_000, score: 0.7, open: true },
          { eventClass: 'siren', onsetUs: 600_000, offsetUs: 1_050_000, score: 0.95, open: true },
        ],
      },
      doa: [
        { bearingRad: 0.5, bearingStdRad: 0.05, confidence: 0.7 },
        { bearingRad: -2, bearingStdRad: 0.1, confidence: 0.4 },
      ],
      logMel: { frames: 0, nMels: 64, firstFrame: 0, data: new Float32Array(0) },
      logMelFirstFrameUs: 0,
      logMelHopUs: 10_000,
    };
    const rec = toAudioEvents(analysis, { rigId: 'rig1', seq: 7, publishTimeUs: 1_200_000, frameId: 'base_link' });
    expect(rec).toEqual({
      rigId: 'rig1',
      sensorId: 'mic_array',
      seq: 7,
      captureTimeUs: 1_000_000,
      publishTimeUs: 1_200_000,
      frameId: 'base_link',
      windowDurationUs: 100_000,
      voiceProbability: 0.9,
      snrDb: 12.5,
      reliability: 0.625,
      events: [
        { eventClass: 'speech', score: 0.85, onsetUs: 700_000, offsetUs: 1_096_000, bearingRad: 0.5, bearingStdRad: 0.05, snrDb: 12.5 },
        // the bark keeps its own class on the wire; the classifier's speech gives way to the VAD's
        { eventClass: 'dog_bark', score: 0.8, onsetUs: 400_000, offsetUs: 900_000, bearingRad: 0.5, bearingStdRad: 0.05, snrDb: 12.5 },
        { eventClass: 'siren', score: 0.95, onsetUs: 600_000, offsetUs: 1_050_000, bearingRad: 0.5, bearingStdRad: 0.05, snrDb: 12.5 },
        { eventClass: 'unknown', score: 0.7, onsetUs: 1_000_000, offsetUs: 1_100_000, bearingRad: 0.5, bearingStdRad: 0.05, snrDb: 12.5 },
        { eventClass: 'unknown', score: 0.4, onsetUs: 1_000_000, offsetUs: 1_100_000, bearingRad: -2, bearingStdRad: 0.1, snrDb: 12.5 },
      ],
    });
  });
});

describe('toAudioEvents without a VAD', () => {
  it('publishes the classifier speech events', () => {
    const rec = toAudioEvents(
      {
        sensorId: 'm', captureTimeUs: 0, windowDurationUs: 50_000, discontinuity: 'none', snrDb: 3, reliability: 0.15, clippedFraction: 0,
        voiceProbability: 0, vad: undefined, doa: [],
        soundEvents: { patches: [], events: [{ eventClass: 'speech', onsetUs: 10, offsetUs: 20, score: 0.9, open: false }] },
        logMel: { frames: 0, nMels: 64, firstFrame: 0, data: new Float32Array(0) }, logMelFirstFrameUs: 0, logMelHopUs: 10_000,
      },
      { rigId: 'r', seq: 1, publishTimeUs: 1, frameId: 'f' },
    );
    expect(rec.events).toEqual([{ eventClass: 'speech', score: 0.9, onsetUs: 10, offsetUs: 20, bearingRad: null, bearingStdRad: null, snrDb: 3 }]);
  });
});
