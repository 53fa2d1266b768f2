import { DEFAULT_DENOISE_PARAMS, DEFAULT_SOUND_EVENT_PARAMS, DEFAULT_DOA_PARAMS, DEFAULT_LOG_MEL_PARAMS, type AudioProcessorParams, type MicrophoneArrayLike } from '@sensorfuse/audio';
import type { AudioParamsConfig } from '../config.js';

/** The validated config section as shared/audio's processor parameters for one stream format. */
export function audioProcessorParams(c: AudioParamsConfig, sampleRateHz: number, channels: number): AudioProcessorParams {
  const nyquistHz = sampleRateHz / 2;
  return {
    sampleRateHz,
    channels,
    // A cut-off at or above Nyquist is undefined for the biquad; a low-rate stream gets 90 % of its Nyquist frequency.
    highPassHz: Math.min(c.denoise.highPassHz, nyquistHz * 0.9),
    denoise: {
      // The MCRA smoothing constants stay shared/audio's tuned values (not exposed: they interlock).
      ...DEFAULT_DENOISE_PARAMS,
      frameLength: c.denoise.frameLength,
      minimumWindowS: c.denoise.minimumWindowS,
      presenceThreshold: c.denoise.presenceThreshold,
      decisionDirected: c.denoise.decisionDirected,
      gainFloor: c.denoise.gainFloor,
    },
    logMel: {
      // Window, mel scale and norm, amin: librosa's defaults as shared/audio sets them.
      ...DEFAULT_LOG_MEL_PARAMS,
      fftSize: c.logMel.fftSize,
      winLength: Math.min(c.logMel.winLengthSamples, c.logMel.fftSize),
      hopLength: c.logMel.hopSamples,
      nMels: c.logMel.nMels,
      fminHz: c.logMel.fminHz,
      fmaxHz: Math.min(c.logMel.fmaxHz, nyquistHz),
    },
    vad: {
      startThreshold: c.vad.startThreshold,
      endThreshold: c.vad.endThreshold,
      minSpeechUs: c.vad.minSpeechUs,
      minSilenceUs: c.vad.minSilenceUs,
    },
    vadInput: c.vad.input,
    vadBatchUs: c.vad.batchUs,
    logMelInput: 'denoised',
    doa: {
      bandLowHz: c.doa.bandLowHz,
      bandHighHz: Math.min(c.doa.bandHighHz, nyquistHz),
      interpolation: DEFAULT_DOA_PARAMS.interpolation,
      azimuthStepDeg: c.doa.azimuthStepDeg,
      minConfidence: c.doa.minConfidence,
      secondaryRatio: c.doa.secondaryRatio,
      minSeparationDeg: c.doa.minSeparationDeg,
      maxSources: c.doa.maxSources,
      weighting: c.doa.weighting,
    },
    events: {
      ...DEFAULT_SOUND_EVENT_PARAMS,
      hopRows: c.events.hopRows,
      onThreshold: c.events.onThreshold,
      offThreshold: c.events.offThreshold,
      offPatches: c.events.offPatches,
    },
    activityGate: { mode: c.activityGate.mode, thresholdDb: c.activityGate.thresholdDb, hangoverUs: c.activityGate.hangoverUs, lookaheadUs: 64_000 },
    timeToleranceUs: c.chunk.timeToleranceUs,
    reliabilitySnrDb: [c.reliability.zeroAtSnrDb, c.reliability.oneAtSnrDb],
  };
}

/** The configured microphone geometry, or undefined when DOA is off. */
export function microphoneArray(c: AudioParamsConfig): MicrophoneArrayLike | undefined {
  if (c.doa.mode === 'off') return undefined;
  const xyz = c.array.positionsM;
  const positions = Array.from({ length: Math.floor(xyz.length / 3) }, (_, i) => ({ x: xyz[3 * i] ?? 0, y: xyz[3 * i + 1] ?? 0, z: xyz[3 * i + 2] ?? 0 }));
  return { positions, speedOfSoundMps: c.array.speedOfSoundMps };
}

/**
 * Whether the shipped classifier's features are what this stream produces: it was trained on
 * 16 kHz log-mel rows with shared/audio's default parameters (64 Slaney bands 50–8000 Hz, n_fft 512,
 * window 400, hop 160); other rates or settings would feed it different features.
 */
export function classifierFits(p: AudioProcessorParams): boolean {
  const m = p.logMel;
  return (
    p.sampleRateHz === 16_000 &&
    m.fftSize === DEFAULT_LOG_MEL_PARAMS.fftSize &&
    m.winLength === DEFAULT_LOG_MEL_PARAMS.winLength &&
    m.hopLength === DEFAULT_LOG_MEL_PARAMS.hopLength &&
    m.nMels === DEFAULT_LOG_MEL_PARAMS.nMels &&
    m.fminHz === DEFAULT_LOG_MEL_PARAMS.fminHz &&
    m.fmaxHz === 8000
  );
}
