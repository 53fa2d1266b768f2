import type { AudioProcessorParams, MicrophoneArrayLike } from '@sensorfuse/audio';
import type { AudioParamsConfig } from '../config.js';

/** The validated config section as shared/audio's processor parameters for one stream format. */
export function audioProcessorParams(c: AudioParamsConfig, sampleRateHz: number, channels: number): AudioProcessorParams {
  const nyquistHz = sampleRateHz / 2;
  return {
    sampleRateHz,
    channels,
    highPassHz: Math.min(c.denoise.highPassHz, nyquistHz * 0.9),
    denoise: {
      frameLength: c.denoise.frameLength,
      // MCRA smoothing constants are shared/audio's tuned values (not exposed: they interlock).
      powerSmoothing: 0.8,
      minimumWindowS: c.denoise.minimumWindowS,
      presenceThreshold: c.denoise.presenceThreshold,
      presenceSmoothing: 0.2,
      noiseSmoothing: 0.95,
      decisionDirected: c.denoise.decisionDirected,
      gainFloor: c.denoise.gainFloor,
      presenceSpreadBins: 3,
    },
    logMel: {
      fftSize: c.logMel.fftSize,
      winLength: Math.min(c.logMel.winLengthSamples, c.logMel.fftSize),
      hopLength: c.logMel.hopSamples,
      window: 'hann',
      nMels: c.logMel.nMels,
      fminHz: c.logMel.fminHz,
      fmaxHz: Math.min(c.logMel.fmaxHz, nyquistHz),
      melScale: 'slaney',
      melNorm: 'slaney',
      aminPower: 1e-10,
    },
    vad: {
      startThreshold: c.vad.startThreshold,
      endThreshold: c.vad.endThreshold,
      minSpeechUs: c.vad.minSpeechUs,
      minSilenceUs: c.vad.minSilenceUs,
    },
    vadInput: c.vad.input,
    doa: {
      bandLowHz: c.doa.bandLowHz,
      bandHighHz: Math.min(c.doa.bandHighHz, nyquistHz),
      interpolation: 2,
      azimuthStepDeg: c.doa.azimuthStepDeg,
      minConfidence: c.doa.minConfidence,
      secondaryRatio: c.doa.secondaryRatio,
      minSeparationDeg: c.doa.minSeparationDeg,
      maxSources: c.doa.maxSources,
      weighting: c.doa.weighting,
    },
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
