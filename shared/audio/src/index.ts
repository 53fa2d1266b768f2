export { decodeInterleaved, encodeS16le, encodeF32le } from './decode.js';
export type { SampleFormat, AudioDescriptor, DecodedAudio } from './decode.js';
export { Biquad, highPassCoefficients, lowPassCoefficients } from './biquad.js';
export type { BiquadCoefficients } from './biquad.js';
export { RealFft } from './fft.js';
export { makeWindow, padWindow } from './window.js';
export type { WindowKind } from './window.js';
export { Framer } from './framer.js';
export { Stft } from './stft.js';
export type { StftParams } from './stft.js';
export { MelFilterbank, hzToMel, melToHz } from './mel.js';
export type { MelFilterbankParams, MelScale, MelNorm } from './mel.js';
export { LogMelExtractor, DEFAULT_LOG_MEL_PARAMS } from './log-mel.js';
export type { LogMelParams, LogMelFrames } from './log-mel.js';
export { SpectralDenoiser, OverlapAddSynthesizer, DEFAULT_DENOISE_PARAMS, snrDbFromPowers } from './denoise.js';
export type { DenoiseParams, DenoiseFrames } from './denoise.js';
export { GccPhatDoa, DEFAULT_DOA_PARAMS } from './gcc-phat.js';
export type { DoaParams, DoaSource, Vec3 } from './gcc-phat.js';
export { StreamResampler } from './resample.js';
export {
  SileroVad,
  SpeechSegmenter,
  DEFAULT_VAD_PARAMS,
  VAD_SAMPLE_RATE_HZ,
  VAD_WINDOW_SAMPLES,
  sileroModelPath,
  sileroModelCard,
  openSileroPool,
} from './vad.js';
export type { ModelRunner, VadParams, VadResult, SpeechSegment } from './vad.js';
export { openModelRunner, openSileroRunner, openSoundEventRunner } from './model-runners.js';
export type { ModelThread, OwnedModelRunner, OpenModelRunnerOptions } from './model-runners.js';
export { AudioProcessor, defaultAudioProcessorParams } from './processor.js';
export type { AudioChunkLike, AudioAnalysis, AudioProcessorParams, MicrophoneArrayLike, Discontinuity } from './processor.js';
export { AudioFormatError, AudioNonFiniteError, AudioTimeOverlapError, AudioConfigError } from './errors.js';
export { toAudioEvents, SCHEMA_EVENT_CLASS } from './audio-events.js';
export type { AudioEventsHeader } from './audio-events.js';
export {
  SOUND_EVENT_CLASSES,
  DEFAULT_SOUND_EVENT_PARAMS,
  SoundEventClassifier,
  SoundEventTracker,
  soundEventModelPath,
  soundEventModelCard,
  openSoundEventPool,
} from './sound-events.js';
export type { SoundEventClass, SoundEventParams, SoundEvent, SoundEventResult, PatchScores } from './sound-events.js';
