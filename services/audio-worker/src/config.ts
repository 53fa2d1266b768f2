import { loadConfig, type LoadedConfig } from '@sensorfuse/config';
import { telemetryConfigSchema } from '@sensorfuse/telemetry';
import { busConfigSchema } from '@sensorfuse/worker';
import { z } from 'zod';

export const AUDIO_ENV_PREFIX = 'SENSORFUSE_AUDIO_';

const num = (min: number, max: number, value: number, what: string) => z.number().min(min).max(max).default(value).describe(what);
const int = (min: number, max: number, value: number, what: string) => z.number().int().min(min).max(max).default(value).describe(what);

/** The simulator's 4-microphone array (services/simulator DEFAULT_SCENARIO, base_link, metres): a 0.3 m square on the roof. */
const SIMULATOR_MIC_POSITIONS_M = [1.35, 0.15, 1.8, 1.35, -0.15, 1.8, 1.05, -0.15, 1.8, 1.05, 0.15, 1.8];

const isPowerOfTwo = (n: number): boolean => Number.isInteger(Math.log2(n));
const fftLength = (value: number, what: string) =>
  z.number().int().min(64).max(8192).refine(isPowerOfTwo, { error: 'expected a power of two' }).default(value).describe(what);

/** The audio chain's parameters; defaults are shared/audio's (issue 7: Silero hysteresis 0.5 / 0.35 / 250 ms / 100 ms). */
export const audioParamsSchema = z.strictObject({
  chunk: z.strictObject({
    maxDurationUs: int(1000, 60_000_000, 1_000_000, 'A chunk longer than this (frames ÷ sampleRateHz) is dead-lettered, microseconds'),
    minSampleRateHz: int(1000, 384_000, 8000, 'Lowest sample rate accepted; lower is dead-lettered'),
    maxSampleRateHz: int(1000, 384_000, 96_000, 'Highest sample rate accepted; higher is dead-lettered'),
    maxChannels: int(1, 256, 32, 'Most interleaved channels accepted; more is dead-lettered'),
    timeToleranceUs: int(0, 100_000, 1000, 'Capture-time jitter between consecutive chunks still taken as a continuation (a larger gap resets the state), microseconds'),
  }),
  denoise: z.strictObject({
    highPassHz: num(1, 1000, 80, 'Second-order Butterworth high-pass cut-off (wind, handling noise, DC), Hz'),
    frameLength: fftLength(512, 'STFT frame of denoise and DOA, samples, a power of two (hop = half)'),
    minimumWindowS: num(0.2, 10, 1.5, 'Minimum-statistics noise-floor search window, seconds'),
    presenceThreshold: num(1, 100, 5, 'Smoothed power over its minimum above which a bin counts as signal (MCRA δ)'),
    decisionDirected: num(0, 0.999, 0.98, 'Weight of the previous frame in the decision-directed a-priori SNR'),
    gainFloor: num(0, 1, 0.1, 'Lowest Wiener gain (0.1 = −20 dB): limits musical noise'),
  }),
  logMel: z.strictObject({
    fftSize: fftLength(512, 'FFT size of the log-mel STFT, samples, a power of two'),
    winLengthSamples: int(16, 2048, 400, 'Hann window length, samples (≤ fftSize; 400 = 25 ms at 16 kHz)'),
    hopSamples: int(1, 2048, 160, 'Hop between log-mel rows, samples (160 = 10 ms at 16 kHz)'),
    nMels: int(1, 256, 64, 'Mel bands'),
    fminHz: num(0, 20_000, 50, 'Lowest mel band edge, Hz'),
    fmaxHz: num(100, 96_000, 8000, 'Highest mel band edge, Hz (capped at the Nyquist frequency)'),
  }),
  vad: z.strictObject({
    mode: z.enum(['on', 'off']).default('on').describe('Silero VAD (ONNX, on the thread `thread` names); off: voiceProbability 0 and no speech events'),
    thread: z
      .enum(['calling', 'pool'])
      .default('calling')
      .describe('Where Silero runs: calling = an onnxruntime session on the worker thread itself (no message round trip; each 32 ms window blocks it ~0.3 ms); pool = poolWorkers inference worker threads, off the event loop, ~1.4× the CPU per window'),
    startThreshold: num(0, 1, 0.5, 'Speech probability at or above which a segment starts (Silero 0.5)'),
    endThreshold: num(0, 1, 0.35, 'Probability below which a segment may end (Silero threshold − 0.15)'),
    minSpeechUs: int(0, 10_000_000, 250_000, 'Speech segments shorter than this are dropped, microseconds'),
    minSilenceUs: int(0, 10_000_000, 100_000, 'Silence shorter than this does not end a segment, microseconds'),
    input: z.enum(['highpassed', 'denoised']).default('highpassed').describe('Signal the VAD hears: the high-passed mix, or the denoised mix (32 ms later, better at 0 dB)'),
    batchUs: int(0, 2_000_000, 0, 'Hold the VAD input until this much audio is pending and run its windows back to back (less CPU per window: the model is not interleaved with every chunk\'s DSP); speech events arrive up to this much later. 0: every chunk, microseconds'),
    poolWorkers: int(1, 16, 1, 'Inference worker threads of the Silero pool with thread pool (shared by all sensors of the instance)'),
  }),
  events: z.strictObject({
    mode: z.enum(['on', 'off']).default('on').describe('Sound-event classifier (siren, horn, dog bark, impact, speech; ONNX, on the thread `thread` names) on 16 kHz streams with the default log-mel features; off: no classified events'),
    thread: z
      .enum(['calling', 'pool'])
      .default('calling')
      .describe('Where the classifier runs: calling = on the worker thread itself (~0.1 ms per patch); pool = an inference worker thread, off the event loop'),
    modelPath: z.string().max(4096).default('').describe('ONNX classifier with its .card.json beside it; empty = the shipped models/audio-events/audio-events.onnx'),
    hopRows: int(1, 48, 16, 'Log-mel rows between classified 0.48 s patches (16 = every 160 ms)'),
    onThreshold: num(0, 1, 0.6, 'Class probability of a patch at or above which an event starts'),
    offThreshold: num(0, 1, 0.4, 'Class probability below which an event may end (hysteresis)'),
    offPatches: int(1, 20, 2, 'Consecutive patches below offThreshold that end an event'),
  }),
  activityGate: z.strictObject({
    mode: z.enum(['on', 'off']).default('on').describe('Run the VAD and the classifier only near denoiser frames whose 300–6000 Hz power stands above the tracked noise floor (skipped windows: probability 0, skipped patches: background); off: run them on everything'),
    thresholdDb: num(0, 30, 2, 'Σ power over Σ tracked noise (all channels, 300–6000 Hz) above which a denoiser frame is active, dB'),
    hangoverUs: int(0, 5_000_000, 300_000, 'A VAD window or patch still runs this long after the last active frame, microseconds'),
  }),
  doa: z.strictObject({
    mode: z.enum(['on', 'off']).default('on').describe('Direction of arrival by GCC-PHAT/SRP over the microphone array'),
    bandLowHz: num(0, 20_000, 200, 'Lowest frequency of the cross-spectra, Hz (below: wind and rumble)'),
    bandHighHz: num(100, 48_000, 5000, 'Highest frequency of the cross-spectra, Hz (capped at Nyquist; above: spatial aliasing)'),
    azimuthStepDeg: num(0.1, 10, 1, 'Azimuth grid step, degrees'),
    minConfidence: num(0, 1, 0.1, 'Lowest mean PHAT coherence at a peak to report a source'),
    secondaryRatio: num(0, 1, 0.5, 'A second or third peak is reported when it reaches this fraction of the strongest'),
    minSeparationDeg: num(1, 180, 25, 'Peaks closer than this are one source, degrees'),
    maxSources: int(1, 8, 3, 'Most sources reported per chunk'),
    weighting: z.enum(['wiener', 'phat']).default('wiener').describe('wiener: GCC bins weighted by the denoiser gains; phat: plain PHAT'),
  }),
  array: z.strictObject({
    source: z.enum(['config']).default('config').describe('Where the microphone geometry comes from (the Redis calibration registry comes with the fusion worker)'),
    frameId: z.string().min(1).max(255).default('base_link').describe('Frame the positions are given in: frameId of AudioEvents, bearings are about its +z from +x'),
    positionsM: z
      .array(z.number().min(-100).max(100))
      .min(3)
      .max(768)
      .refine((xs) => xs.length % 3 === 0, { error: 'expected x, y, z per microphone (a multiple of 3 numbers)' })
      .default(SIMULATOR_MIC_POSITIONS_M)
      .describe('Microphone positions x0, y0, z0, x1, y1, z1, … in metres; microphone i is audio channel i (default: the simulator 4-mic 0.3 m square)'),
    speedOfSoundMps: num(200, 400, 343, 'Speed of sound, m/s'),
  }),
  reliability: z.strictObject({
    zeroAtSnrDb: num(-30, 80, 0, 'SNR at or below which reliability is 0, dB'),
    oneAtSnrDb: num(-30, 80, 20, 'SNR at or above which reliability is 1, dB'),
  }),
});

export const audioConfigSchema = z.strictObject({
  inputTopic: z.string().min(1).max(249).default('raw.audio').describe('Topic of AudioChunk records'),
  outputTopic: z.string().min(1).max(249).default('obs.audio').describe('Topic of AudioEvents records'),
  groupId: z.string().min(1).max(255).default('audio-worker').describe('Consumer group shared by all instances'),
  maxCaptureAheadUs: int(1000, 86_400_000_000, 10_000_000, 'A capture time further than this ahead of the broker time is a clock fault (DLQ), microseconds'),
  shutdownGraceMs: int(100, 600_000, 10_000, 'Longest drain on shutdown, milliseconds'),
  audio: audioParamsSchema,
  bus: busConfigSchema,
  telemetry: telemetryConfigSchema,
});

export type AudioConfig = LoadedConfig<typeof audioConfigSchema>;
export type AudioParamsConfig = AudioConfig['audio'];

/** Defaults < JSON file (SENSORFUSE_AUDIO_CONFIG_FILE) < environment (SENSORFUSE_AUDIO_*). */
export function loadAudioConfig(env?: Readonly<Record<string, string | undefined>>): AudioConfig {
  return loadConfig(audioConfigSchema, { envPrefix: AUDIO_ENV_PREFIX, ...(env === undefined ? {} : { env }) });
}
