import { Biquad, highPassCoefficients } from './biquad.js';
import { decodeInterleaved, type SampleFormat } from './decode.js';
import { DEFAULT_DENOISE_PARAMS, OverlapAddSynthesizer, SpectralDenoiser, snrDbFromPowers, type DenoiseParams } from './denoise.js';
import { AudioConfigError, AudioFormatError, AudioTimeOverlapError } from './errors.js';
import { DEFAULT_DOA_PARAMS, GccPhatDoa, type DoaParams, type DoaSource, type Vec3 } from './gcc-phat.js';
import { DEFAULT_LOG_MEL_PARAMS, LogMelExtractor, type LogMelFrames, type LogMelParams } from './log-mel.js';
import { StreamResampler } from './resample.js';
import { DEFAULT_SOUND_EVENT_PARAMS, SoundEventClassifier, type SoundEventParams, type SoundEventResult } from './sound-events.js';
import { DEFAULT_VAD_PARAMS, SileroVad, VAD_SAMPLE_RATE_HZ, type ModelRunner, type VadParams, type VadResult } from './vad.js';

/** The fields of a raw.audio record the processor reads (AudioChunk from @sensorfuse/schemas fits). */
export interface AudioChunkLike {
  readonly sensorId: string;
  readonly captureTimeUs: number;
  readonly sampleFormat: SampleFormat;
  readonly channels: number;
  readonly sampleRateHz: number;
  readonly frames: number;
  readonly data: Uint8Array;
}

export interface MicrophoneArrayLike {
  readonly positions: readonly Vec3[];
  readonly speedOfSoundMps: number;
}

export interface AudioProcessorParams {
  readonly sampleRateHz: number;
  readonly channels: number;
  /** High-pass cut-off (second-order Butterworth): removes wind, handling noise and DC. */
  readonly highPassHz: number;
  readonly denoise: Omit<DenoiseParams, 'sampleRateHz'>;
  readonly logMel: Omit<LogMelParams, 'sampleRateHz'>;
  readonly vad: VadParams;
  /** Which signal the VAD hears: the high-passed mix (default) or the denoised mix. */
  readonly vadInput: 'highpassed' | 'denoised';
  /**
   * 0 (default): the VAD windows a chunk completes run during that chunk. > 0: the 16 kHz samples are
   * held until at least this much audio is pending and then run together, so Silero runs many windows
   * back to back instead of a few between every chunk's DSP (measured: the interleaving costs the
   * model ~1.6× its CPU per window on this machine; 400 ms groups remove that). Speech results arrive
   * up to this much later; the windows, their probabilities and the segments are the same.
   */
  readonly vadBatchUs: number;
  /** Which signal the log-mel rows (and so the classifier) see: the denoised mix (default) or the high-passed mix (for comparisons). */
  readonly logMelInput: 'denoised' | 'highpassed';
  /** DOA settings besides geometry; DOA runs only when an array with ≥ 2 microphones is given. */
  readonly doa: Omit<DoaParams, 'sampleRateHz' | 'fftSize' | 'positions' | 'speedOfSoundMps'> & {
    /** 'wiener': weight each bin by the two channels' Wiener gains (noise-dominated bins count little); 'phat': plain PHAT. */
    readonly weighting: 'wiener' | 'phat';
  };
  /** Sound-event classification over log-mel patches (runs only with an event runner). */
  readonly events: SoundEventParams;
  /**
   * Run the VAD and the classifier only where something stands above the noise floor: a denoiser
   * frame is active when Σ periodogram / Σ tracked noise over all channels in 300–6000 Hz exceeds
   * `thresholdDb`; a VAD window or classifier patch runs when an active frame ends within
   * [start − hangoverUs, end + lookaheadUs]. 'off' runs them on everything.
   */
  readonly activityGate: {
    readonly mode: 'on' | 'off';
    readonly thresholdDb: number;
    readonly hangoverUs: number;
    readonly lookaheadUs: number;
  };
  /** Capture-time mismatch between consecutive chunks tolerated as jitter. */
  readonly timeToleranceUs: number;
  /** SNR (dB) mapped to reliability 0 and 1, linear in between. */
  readonly reliabilitySnrDb: readonly [number, number];
}

const EMPTY = new Float32Array(0);

export function defaultAudioProcessorParams(sampleRateHz: number, channels: number): AudioProcessorParams {
  return {
    sampleRateHz,
    channels,
    highPassHz: 80,
    denoise: DEFAULT_DENOISE_PARAMS,
    logMel: { ...DEFAULT_LOG_MEL_PARAMS, fmaxHz: Math.min(8000, sampleRateHz / 2) },
    vad: DEFAULT_VAD_PARAMS,
    vadInput: 'highpassed',
    vadBatchUs: 0,
    logMelInput: 'denoised',
    doa: {
      bandLowHz: DEFAULT_DOA_PARAMS.bandLowHz,
      bandHighHz: Math.min(DEFAULT_DOA_PARAMS.bandHighHz, sampleRateHz / 2),
      interpolation: DEFAULT_DOA_PARAMS.interpolation,
      azimuthStepDeg: DEFAULT_DOA_PARAMS.azimuthStepDeg,
      minConfidence: DEFAULT_DOA_PARAMS.minConfidence,
      secondaryRatio: DEFAULT_DOA_PARAMS.secondaryRatio,
      minSeparationDeg: DEFAULT_DOA_PARAMS.minSeparationDeg,
      maxSources: DEFAULT_DOA_PARAMS.maxSources,
      weighting: 'wiener',
    },
    events: DEFAULT_SOUND_EVENT_PARAMS,
    activityGate: { mode: 'on', thresholdDb: 2, hangoverUs: 300_000, lookaheadUs: 64_000 },
    timeToleranceUs: 1000,
    reliabilitySnrDb: [0, 20],
  };
}

/** How this chunk relates in time to the previous one; every value but 'none' means state was reset. */
export type Discontinuity = 'start' | 'none' | 'gap' | 'restart';

export interface AudioAnalysis {
  readonly sensorId: string;
  readonly captureTimeUs: number;
  readonly windowDurationUs: number;
  readonly discontinuity: Discontinuity;
  /** SNR of the chunk, all channels, from the tracked noise floor (dB, −30…80). */
  readonly snrDb: number;
  /** SNR mapped to 0…1, lowered by clipping: how far fusion should trust this microphone now. */
  readonly reliability: number;
  readonly clippedFraction: number;
  /** Highest VAD probability of the windows completed in this chunk (the previous value if none completed). */
  readonly voiceProbability: number;
  /** Windows run in this chunk; undefined without a VAD or while `vadBatchUs` holds the samples back. */
  readonly vad: VadResult | undefined;
  /** Sound-event patches classified in this chunk and the events (closed, then open); undefined without a classifier. */
  readonly soundEvents: SoundEventResult | undefined;
  /** Sources found by GCC-PHAT in this chunk, strongest first (empty without an array). */
  readonly doa: readonly DoaSource[];
  /** Log-mel rows completed in this chunk, of the denoised channel mix (or the high-passed one, see logMelInput). */
  readonly logMel: LogMelFrames;
  /** Capture time of log-mel row `logMel.firstFrame` start and the hop between rows. */
  readonly logMelFirstFrameUs: number;
  readonly logMelHopUs: number;
}

/**
 * Audio analysis for one sensor: `process(chunk)` takes the chunks of one microphone array in
 * capture order and carries every filter, noise estimate, STFT tail and VAD state to the next
 * chunk, so results do not depend on how the stream was cut. A forward gap or a backwards jump
 * (replay loop) resets the state and is reported; a partial overlap is an AudioTimeOverlapError.
 *
 * decode → high-pass (biquad, carried state) → per-channel MCRA/Wiener denoise (overlap-add)
 * → SNR and reliability; GCC-PHAT DOA on the per-channel spectra; log-mel of the denoised mix;
 * Silero VAD (resampled to 16 kHz) of the high-passed or denoised mix.
 */
export class AudioProcessor {
  private readonly highPass: Biquad[];
  private readonly denoisers: SpectralDenoiser[];
  private readonly logMel: LogMelExtractor;
  private readonly doa: GccPhatDoa | undefined;
  private readonly vad: SileroVad | undefined;
  private readonly classifier: SoundEventClassifier | undefined;
  private readonly resampler: StreamResampler;
  /** 16 kHz VAD input held back by vadBatchUs, and how many samples of it are pending. */
  private vadHeld = new Float32Array(0);
  private vadHeldCount = 0;
  private readonly synth: OverlapAddSynthesizer;
  private readonly mixSpectrum: Float64Array;
  private decoded: Float32Array[] = [];
  private originUs = 0;
  private framesSinceOrigin = 0;
  private lastStartUs: number | undefined;
  private lastVoice = 0;
  /** Denoiser frames analysed since the origin, and end times (capture µs) of the recent active ones. */
  private denoiseFramesSinceOrigin = 0;
  private activeEndsUs: number[] = [];
  private readonly gateRatio: number;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly params: AudioProcessorParams,
    deps: { readonly vadRunner?: ModelRunner; readonly eventRunner?: ModelRunner; readonly array?: MicrophoneArrayLike } = {},
  ) {
    const { sampleRateHz, channels } = params;
    if (!Number.isInteger(channels) || channels < 1) throw new AudioConfigError(`channels must be ≥ 1, found ${String(channels)}`);
    if (!(params.highPassHz > 0 && params.highPassHz < sampleRateHz / 2)) {
      throw new AudioConfigError(`highPassHz must be in (0, ${String(sampleRateHz / 2)}), found ${String(params.highPassHz)}`);
    }
    const hp = highPassCoefficients(sampleRateHz, params.highPassHz);
    this.highPass = Array.from({ length: channels }, () => new Biquad(hp));
    this.denoisers = Array.from({ length: channels }, () => new SpectralDenoiser({ ...params.denoise, sampleRateHz }));
    this.synth = new OverlapAddSynthesizer(params.denoise.frameLength);
    this.mixSpectrum = new Float64Array(params.denoise.frameLength + 2);
    this.logMel = new LogMelExtractor({ ...params.logMel, sampleRateHz });
    const array = deps.array;
    if (array !== undefined) {
      if (array.positions.length !== channels) {
        throw new AudioConfigError(
          `the microphone array has ${String(array.positions.length)} positions but the stream has ${String(channels)} channels`,
        );
      }
      if (channels >= 2) {
        this.doa = new GccPhatDoa({
            ...params.doa,
            sampleRateHz,
            fftSize: params.denoise.frameLength,
            positions: array.positions,
            speedOfSoundMps: array.speedOfSoundMps,
          });
      }
    }
    this.vad = deps.vadRunner === undefined ? undefined : new SileroVad(deps.vadRunner, params.vad);
    this.classifier = deps.eventRunner === undefined ? undefined : new SoundEventClassifier(deps.eventRunner, params.logMel.nMels, params.events);
    this.resampler = new StreamResampler(sampleRateHz, VAD_SAMPLE_RATE_HZ);
    this.gateRatio = 10 ** (params.activityGate.thresholdDb / 10);
  }

  /** Whether an active frame ends within [startUs − hangover, endUs + lookahead] (always true with the gate off). */
  private readonly isActive = (startUs: number, endUs: number): boolean => {
    const g = this.params.activityGate;
    if (g.mode === 'off') return true;
    const lo = startUs - g.hangoverUs;
    const hi = endUs + g.lookaheadUs;
    for (let i = this.activeEndsUs.length - 1; i >= 0; i--) {
      const t = this.activeEndsUs[i] as number;
      if (t < lo) return false;
      if (t <= hi) return true;
    }
    return false;
  };

  /** Latency of the denoised signal (and of the log-mel rows' sample positions) in samples. */
  get denoiseLatencySamples(): number {
    return this.denoisers[0]?.latencySamples ?? 0;
  }

  /**
   * Analyse the next chunk. Calls are serialised: a call made before the previous one settled
   * waits for it, so the carried state always sees chunks one at a time, in call order.
   */
  process(chunk: AudioChunkLike): Promise<AudioAnalysis> {
    const run = this.tail.then(() => this.processNow(chunk));
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async processNow(chunk: AudioChunkLike): Promise<AudioAnalysis> {
    const p = this.params;
    const context = { sensorId: chunk.sensorId };
    if (chunk.channels !== p.channels || chunk.sampleRateHz !== p.sampleRateHz) {
      throw new AudioFormatError(
        `expected ${String(p.channels)} channels at ${String(p.sampleRateHz)} Hz (calibration), found ${String(chunk.channels)} channels at ${String(chunk.sampleRateHz)} Hz`,
        context,
      );
    }
    const audio = decodeInterleaved(chunk.data, chunk, this.decoded);
    this.decoded = audio.channels as Float32Array[];
    const discontinuity = this.checkTime(chunk.captureTimeUs, context);
    const n = audio.frames;
    let total = 0;
    let noise = 0;
    const spectra: Float64Array[] = [];
    const gains: Float64Array[] = [];
    let frameCount = 0;
    const bandP: Float64Array[] = [];
    const bandN: Float64Array[] = [];
    // the high-passed mix only feeds the VAD
    const needHpMix = (this.vad !== undefined && p.vadInput === 'highpassed') || p.logMelInput === 'highpassed';
    const hpMix = needHpMix ? new Float32Array(n) : EMPTY;
    const inv = 1 / p.channels;
    for (let c = 0; c < p.channels; c++) {
      const x = this.decoded[c] as Float32Array;
      (this.highPass[c] as Biquad).process(x);
      // analysis only: the gained spectra are mixed below and synthesised once
      const frames = (this.denoisers[c] as SpectralDenoiser).process(x);
      total += frames.totalPower;
      noise += frames.noisePower;
      spectra.push(frames.spectra);
      gains.push(frames.gains);
      bandP.push(frames.bandPower);
      bandN.push(frames.bandNoise);
      frameCount = frames.count;
      if (needHpMix) for (let i = 0; i < n; i++) hpMix[i] = (hpMix[i] as number) + (x[i] as number) * inv;
    }
    // Denoised mix = mean of the channels' denoised signals; the inverse STFT is linear, so mixing
    // the gained spectra first needs one inverse FFT per frame instead of one per channel.
    const bins = this.denoisers[0]?.bins ?? 0;
    const mixSpec = this.mixSpectrum;
    for (let f = 0; f < frameCount; f++) {
      mixSpec.fill(0);
      for (let c = 0; c < p.channels; c++) {
        const sp = spectra[c] as Float64Array;
        const g = gains[c] as Float64Array;
        const so = f * 2 * bins;
        const go = f * bins;
        for (let k = 0; k < bins; k++) {
          const gk = (g[go + k] as number) * inv;
          mixSpec[2 * k] = (mixSpec[2 * k] as number) + (sp[so + 2 * k] as number) * gk;
          mixSpec[2 * k + 1] = (mixSpec[2 * k + 1] as number) + (sp[so + 2 * k + 1] as number) * gk;
        }
      }
      this.synth.addFrame(mixSpec);
    }
    const dnMix = new Float32Array(n);
    this.synth.take(n, dnMix);
    this.trackActivity(frameCount, bandP, bandN);

    // The VAD runs in the pool's thread while this thread does DOA and log-mel.
    const vadPending = this.vad === undefined ? undefined : this.pushVad(this.vad, this.resampler.push(p.vadInput === 'denoised' ? dnMix : hpMix));

    const snrDb = frameCount > 0 ? snrDbFromPowers(total, noise) : 0;
    const [lo, hi] = p.reliabilitySnrDb;
    const snrTrust = Math.min(1, Math.max(0, (snrDb - lo) / (hi - lo)));
    const reliability = snrTrust * Math.max(0, 1 - 20 * audio.clippedFraction);

    let doa: DoaSource[] = [];
    // The DOA is not gated: a stationary directional source (an idling engine beside the array) is
    // "noise" to the denoiser's floor tracking yet still has a direction worth reporting.
    if (this.doa !== undefined && frameCount > 0) {
      const weights = p.doa.weighting === 'wiener' ? gains : undefined;
      for (let f = 0; f < frameCount; f++) this.doa.addFrame(spectra, f * 2 * bins, weights, f * bins);
      doa = this.doa.estimate();
    }

    const logMel = this.logMel.push(p.logMelInput === 'highpassed' ? hpMix : dnMix);
    const latencyUs = p.logMelInput === 'highpassed' ? 0 : (this.denoiseLatencySamples * 1e6) / p.sampleRateHz;
    const logMelFirstFrameUs = Math.round(this.originUs - latencyUs + (logMel.firstFrame * p.logMel.hopLength * 1e6) / p.sampleRateHz);
    const logMelHopUs = (p.logMel.hopLength * 1e6) / p.sampleRateHz;
    const eventsPending = this.classifier?.push(logMel, logMelFirstFrameUs, logMelHopUs, this.isActive);

    // both models run in their pools' threads at once; awaiting them together leaves no rejection unhandled
    const [vad, soundEvents] = await Promise.all([vadPending, eventsPending]);
    if (vad !== undefined && vad.probabilities.length > 0) this.lastVoice = Math.max(...vad.probabilities);
    this.framesSinceOrigin += n;
    return {
      sensorId: chunk.sensorId,
      captureTimeUs: chunk.captureTimeUs,
      windowDurationUs: Math.round((n * 1e6) / p.sampleRateHz),
      discontinuity,
      snrDb,
      reliability,
      clippedFraction: audio.clippedFraction,
      voiceProbability: this.lastVoice,
      vad,
      soundEvents,
      doa,
      logMel,
      logMelFirstFrameUs,
      logMelHopUs,
    };
  }

  /** Run the VAD on `samples` now, or hold them until vadBatchUs of audio is pending (then run all of it). */
  private pushVad(vad: SileroVad, samples: Float32Array): Promise<VadResult> | undefined {
    const batchSamples = Math.ceil((this.params.vadBatchUs * VAD_SAMPLE_RATE_HZ) / 1e6);
    if (batchSamples <= 0) return vad.push(samples, this.isActive);
    const need = this.vadHeldCount + samples.length;
    if (need > this.vadHeld.length) {
      const grown = new Float32Array(Math.max(need, 2 * this.vadHeld.length, batchSamples + samples.length));
      grown.set(this.vadHeld.subarray(0, this.vadHeldCount));
      this.vadHeld = grown;
    }
    this.vadHeld.set(samples, this.vadHeldCount);
    this.vadHeldCount = need;
    if (need < batchSamples) return undefined;
    // copied: SileroVad reads the samples while this buffer is refilled by the next chunk
    const batch = this.vadHeld.slice(0, need);
    this.vadHeldCount = 0;
    return vad.push(batch, this.isActive);
  }

  /** Record the end times of this chunk's active denoiser frames (and forget those older than 2 s). */
  private trackActivity(frameCount: number, bandP: readonly Float64Array[], bandN: readonly Float64Array[]): void {
    const hop = this.params.denoise.frameLength / 2;
    const usPerSample = 1e6 / this.params.sampleRateHz;
    for (let f = 0; f < frameCount; f++) {
      let sp = 0;
      let sn = 0;
      for (let c = 0; c < bandP.length; c++) {
        sp += (bandP[c] as Float64Array)[f] as number;
        sn += (bandN[c] as Float64Array)[f] as number;
      }
      const k = this.denoiseFramesSinceOrigin + f;
      // frame k covers stream samples [(k + 1)·hop − frameLength, (k + 1)·hop)
      if (sp > this.gateRatio * sn) this.activeEndsUs.push(this.originUs + Math.round((k + 1) * hop * usPerSample));
    }
    this.denoiseFramesSinceOrigin += frameCount;
    const newest = this.activeEndsUs[this.activeEndsUs.length - 1];
    if (newest !== undefined && this.activeEndsUs.length > 256) {
      this.activeEndsUs = this.activeEndsUs.filter((t) => t >= newest - 2_000_000);
    }
  }

  /** Forget all carried state (the next chunk starts a new stream). */
  reset(): void {
    this.lastStartUs = undefined;
    this.resetState(0);
  }

  private resetState(originUs: number): void {
    for (const f of this.highPass) f.reset();
    for (const d of this.denoisers) d.reset();
    this.synth.reset();
    this.logMel.reset();
    this.doa?.reset();
    this.resampler.reset();
    this.vadHeldCount = 0;
    const latencyUs = this.params.vadInput === 'denoised' ? (this.denoiseLatencySamples * 1e6) / this.params.sampleRateHz : 0;
    this.vad?.restart(Math.round(originUs - latencyUs));
    this.classifier?.restart();
    this.originUs = originUs;
    this.framesSinceOrigin = 0;
    this.denoiseFramesSinceOrigin = 0;
    this.activeEndsUs = [];
    this.lastVoice = 0;
  }

  private checkTime(startUs: number, context: { sensorId: string }): Discontinuity {
    const last = this.lastStartUs;
    if (last === undefined) {
      this.resetState(startUs);
      this.lastStartUs = startUs;
      return 'start';
    }
    const expected = this.originUs + Math.round((this.framesSinceOrigin * 1e6) / this.params.sampleRateHz);
    const diff = startUs - expected;
    this.lastStartUs = startUs;
    if (Math.abs(diff) <= this.params.timeToleranceUs) return 'none';
    if (diff > 0) {
      this.resetState(startUs);
      return 'gap';
    }
    if (startUs <= last) {
      this.resetState(startUs);
      return 'restart';
    }
    this.lastStartUs = last;
    throw new AudioTimeOverlapError(expected, startUs, context);
  }
}
