import { RealFft } from './fft.js';
import { Framer } from './framer.js';
import { makeWindow } from './window.js';

export interface DenoiseParams {
  readonly sampleRateHz: number;
  /** Analysis frame (power of two); hop is half of it (square-root Hann, perfect reconstruction). */
  readonly frameLength: number;
  /** Recursive smoothing of the periodogram for the minimum search (0…1). */
  readonly powerSmoothing: number;
  /** Length of the minimum-search window in seconds (longer than a word, shorter than noise changes). */
  readonly minimumWindowS: number;
  /** Smoothed power over its minimum above which a bin counts as signal (MCRA's δ). */
  readonly presenceThreshold: number;
  /** Smoothing of the signal-presence probability (0…1). */
  readonly presenceSmoothing: number;
  /** Smoothing of the noise estimate in bins without signal (0…1). */
  readonly noiseSmoothing: number;
  /** Weight of the previous frame in the decision-directed a-priori SNR (0…1). */
  readonly decisionDirected: number;
  /** Lowest Wiener gain, limits musical noise (0.1 = −20 dB). */
  readonly gainFloor: number;
  /** A detected source also marks this many bins on each side as occupied (window leakage). */
  readonly presenceSpreadBins: number;
  /** Band of the per-frame activity sums (`bandPower`, `bandNoise`), Hz. */
  readonly activityBandHz?: readonly [number, number];
}

export const DEFAULT_DENOISE_PARAMS: Omit<DenoiseParams, 'sampleRateHz'> = Object.freeze({
  frameLength: 512,
  powerSmoothing: 0.8,
  minimumWindowS: 1.5,
  presenceThreshold: 5,
  presenceSmoothing: 0.2,
  noiseSmoothing: 0.95,
  decisionDirected: 0.98,
  gainFloor: 0.1,
  presenceSpreadBins: 3,
});

/** Frames analysed during one push: their raw spectra and Wiener gains, for direction finding. */
export interface DenoiseFrames {
  readonly count: number;
  readonly bins: number;
  /** count × bins interleaved complex spectra (before the gain), row-major. */
  readonly spectra: Float64Array;
  /** count × bins Wiener gains. */
  readonly gains: Float64Array;
  /** Σ over frames and bins of periodogram power and of estimated noise power. */
  readonly totalPower: number;
  readonly noisePower: number;
  /** Per frame: Σ over the activity band of periodogram power and of estimated noise power. */
  readonly bandPower: Float64Array;
  readonly bandNoise: Float64Array;
}

/**
 * Inverse STFT by weighted overlap-add with a square-root periodic Hann window at hop = frame/2
 * (analysis × synthesis window sums to one: perfect reconstruction). Output is delayed by one
 * frame: (frame − hop) of analysis prefill plus one hop buffered here, so `take(n)` can always
 * return as many samples as were analysed.
 */
export class OverlapAddSynthesizer {
  readonly hop: number;
  private readonly fft: RealFft;
  private readonly window: Float64Array;
  private readonly time: Float64Array;
  private readonly ola: Float64Array;
  private pending: Float32Array;
  private pendingCount: number;

  constructor(readonly frameLength: number) {
    this.hop = frameLength / 2;
    this.fft = new RealFft(frameLength);
    this.window = makeWindow('sqrt-hann', frameLength);
    this.time = new Float64Array(frameLength);
    this.ola = new Float64Array(frameLength);
    this.pending = new Float32Array(4 * this.hop);
    this.pendingCount = this.hop;
  }

  /** Add one frame given by its half spectrum (interleaved complex); completes `hop` samples. */
  addFrame(halfSpectrum: Float64Array): void {
    const n = this.frameLength;
    const hop = this.hop;
    this.fft.inverse(halfSpectrum, this.time);
    const ola = this.ola;
    const w = this.window;
    const t = this.time;
    for (let i = 0; i < n; i++) ola[i] = (ola[i] as number) + (t[i] as number) * (w[i] as number);
    if (this.pending.length < this.pendingCount + hop) {
      const grown = new Float32Array(2 * (this.pendingCount + hop));
      grown.set(this.pending.subarray(0, this.pendingCount));
      this.pending = grown;
    }
    for (let i = 0; i < hop; i++) this.pending[this.pendingCount + i] = ola[i] as number;
    this.pendingCount += hop;
    ola.copyWithin(0, hop);
    ola.fill(0, n - hop);
  }

  /** Move the oldest `count` completed samples into `out`. */
  take(count: number, out: Float32Array): void {
    out.set(this.pending.subarray(0, count));
    this.pending.copyWithin(0, count, this.pendingCount);
    this.pendingCount -= count;
  }

  reset(): void {
    this.ola.fill(0);
    this.pending.fill(0);
    this.pendingCount = this.hop;
  }
}

/**
 * Single-channel noise reduction with per-sensor state carried across chunks:
 * square-root-Hann STFT (hop = frame/2) → noise power per bin tracked by minima-controlled
 * recursive averaging (MCRA, Cohen & Berdugo 2002: the noise is updated where the smoothed power
 * stays near its running minimum) → Wiener gain with the decision-directed a-priori SNR
 * (Ephraim & Malah) and a gain floor → inverse FFT and overlap-add. The output is the input
 * delayed by `latencySamples` (one frame); chunking does not change a single output sample.
 */
export class SpectralDenoiser {
  readonly hop: number;
  readonly latencySamples: number;
  readonly bins: number;
  private readonly fft: RealFft;
  private readonly window: Float64Array;
  private readonly framer: Framer;
  private readonly minWindowFrames: number;
  private readonly x: Float64Array;
  private readonly spec: Float64Array;
  private readonly synth: OverlapAddSynthesizer;
  private readonly smoothed: Float64Array;
  private readonly minimum: Float64Array;
  private readonly minimumTmp: Float64Array;
  private readonly presence: Float64Array;
  private readonly noise: Float64Array;
  private readonly prevClean: Float64Array;
  private readonly power: Float64Array;
  private readonly indicator: Uint8Array;
  private frameCount = 0;
  private minCount = 0;
  private spectraOut = new Float64Array(0);
  private gainsOut = new Float64Array(0);
  private bandPowerOut = new Float64Array(0);
  private bandNoiseOut = new Float64Array(0);
  private readonly bandLow: number;
  private readonly bandHigh: number;

  constructor(readonly params: DenoiseParams) {
    const n = params.frameLength;
    this.hop = n / 2;
    // (frame − hop) of framer prefill plus one hop of output buffering, so every push can return
    // exactly as many samples as it received.
    this.latencySamples = n;
    this.fft = new RealFft(n);
    this.bins = this.fft.bins;
    this.window = makeWindow('sqrt-hann', n);
    this.framer = new Framer(n, this.hop, n - this.hop);
    this.synth = new OverlapAddSynthesizer(n);
    this.minWindowFrames = Math.max(4, Math.round((params.minimumWindowS * params.sampleRateHz) / this.hop / 2));
    this.x = new Float64Array(n);
    this.spec = new Float64Array(2 * this.bins);
    this.smoothed = new Float64Array(this.bins);
    this.minimum = new Float64Array(this.bins);
    this.minimumTmp = new Float64Array(this.bins);
    this.presence = new Float64Array(this.bins);
    this.noise = new Float64Array(this.bins);
    this.prevClean = new Float64Array(this.bins);
    this.power = new Float64Array(this.bins);
    this.indicator = new Uint8Array(this.bins);
    const [lo, hi] = params.activityBandHz ?? [300, 6000];
    this.bandLow = Math.max(1, Math.round((lo * n) / params.sampleRateHz));
    this.bandHigh = Math.min(this.bins - 1, Math.round((hi * n) / params.sampleRateHz));
  }

  /**
   * Denoise `input`; when `output` is given, writes `input.length` output samples (the stream
   * delayed by latencySamples) into it. Returns the frames analysed during this call; their gained
   * spectra can be mixed across channels and synthesised once (the inverse STFT is linear).
   */
  process(input: Float32Array, output?: Float32Array): DenoiseFrames {
    const maxFrames = Math.floor((input.length + this.framer.frameLength) / this.hop) + 1;
    if (this.spectraOut.length < maxFrames * 2 * this.bins) {
      this.spectraOut = new Float64Array(maxFrames * 2 * this.bins);
      this.gainsOut = new Float64Array(maxFrames * this.bins);
      this.bandPowerOut = new Float64Array(maxFrames);
      this.bandNoiseOut = new Float64Array(maxFrames);
    }
    let frames = 0;
    let totalPower = 0;
    let noisePower = 0;
    this.framer.push(input, (frame) => {
      this.analyseFrame(frame, frames, output !== undefined);
      if (output !== undefined) this.synth.addFrame(this.spec);
      totalPower += this.frameTotal;
      noisePower += this.frameNoise;
      frames++;
    });
    if (output !== undefined) this.synth.take(input.length, output);
    return {
      count: frames,
      bins: this.bins,
      spectra: this.spectraOut.subarray(0, frames * 2 * this.bins),
      gains: this.gainsOut.subarray(0, frames * this.bins),
      totalPower,
      noisePower,
      bandPower: this.bandPowerOut.subarray(0, frames),
      bandNoise: this.bandNoiseOut.subarray(0, frames),
    };
  }

  /** Current noise power estimate per bin (read-only view). */
  get noiseEstimate(): Float64Array {
    return this.noise;
  }

  reset(): void {
    this.framer.reset();
    this.synth.reset();
    this.frameCount = 0;
    this.minCount = 0;
    this.prevClean.fill(0);
  }

  private frameTotal = 0;
  private frameNoise = 0;

  /** Analyse one frame into spectraOut/gainsOut[index]; its power sums land in frameTotal/frameNoise. */
  private analyseFrame(frame: Float32Array, index: number, synthesise: boolean): void {
    const p = this.params;
    const n = frame.length;
    const w = this.window;
    const x = this.x;
    for (let i = 0; i < n; i++) x[i] = (frame[i] as number) * (w[i] as number);
    // the raw spectrum goes straight into its row of spectraOut; `spec` gets the gained copy only
    // when this denoiser synthesises its own output
    const spec = this.spec;
    const raw = this.spectraOut;
    const sOff = index * 2 * this.bins;
    this.fft.forward(x, raw, sOff);
    const first = this.frameCount === 0;
    this.frameCount++;
    this.minCount++;
    const restart = this.minCount >= this.minWindowFrames;
    if (restart) this.minCount = 0;
    let total = 0;
    let noiseSum = 0;
    const gOff = index * this.bins;
    const bins = this.bins;
    const power = this.power;
    const indicator = this.indicator;
    // Pass 1: periodogram, its recursive smoothing and the running minimum (MCRA).
    const smoothed = this.smoothed;
    const minimum = this.minimum;
    const minimumTmp = this.minimumTmp;
    const noiseEst = this.noise;
    const alpha = p.powerSmoothing;
    const delta = p.presenceThreshold;
    const beta = 1 - alpha;
    const onsetFactor = 2 * delta;
    if (first) {
      for (let k = 0; k < bins; k++) {
        const re = raw[sOff + 2 * k] as number;
        const im = raw[sOff + 2 * k + 1] as number;
        const pk = re * re + im * im + 1e-20;
        power[k] = pk;
        smoothed[k] = pk;
        minimum[k] = pk;
        minimumTmp[k] = pk;
        noiseEst[k] = pk;
        indicator[k] = 0;
      }
    } else {
      for (let k = 0; k < bins; k++) {
        const re = raw[sOff + 2 * k] as number;
        const im = raw[sOff + 2 * k + 1] as number;
        const pk = re * re + im * im + 1e-20;
        power[k] = pk;
        const sk = alpha * (smoothed[k] as number) + beta * pk;
        // comparisons instead of Math.min: measurably cheaper in this loop, and no NaN can get here
        const m0 = minimum[k] as number;
        const t0 = minimumTmp[k] as number;
        let min = m0 < sk ? m0 : sk;
        let tmp = t0 < sk ? t0 : sk;
        if (restart) {
          // the new window's minimum so far becomes the minimum; a fresh temporary search starts here
          min = tmp;
          tmp = sk;
        }
        smoothed[k] = sk;
        minimum[k] = min;
        minimumTmp[k] = tmp;
        // A bin is occupied when its smoothed power stands above its minimum (MCRA) or, at an onset
        // before the smoothing catches up, when this frame alone is far above the noise estimate.
        indicator[k] = sk > delta * min || pk > onsetFactor * (noiseEst[k] as number) ? 1 : 0;
      }
    }
    // Pass 2: presence spread to neighbouring bins (a source's window leakage is not noise), noise
    // update where no source is present, decision-directed Wiener gain. The spread is a running
    // count of occupied bins in [k − spread, k + spread].
    const spread = p.presenceSpreadBins;
    const warmUp = this.frameCount <= this.minWindowFrames;
    const noiseArr = this.noise;
    const presence = this.presence;
    const prevClean = this.prevClean;
    const gainsOut = this.gainsOut;
    const { presenceSmoothing, noiseSmoothing, decisionDirected, gainFloor } = p;
    const warmA = 1 - 1 / this.frameCount;
    let occupied = 0;
    let bandP = 0;
    let bandN = 0;
    const bandLow = this.bandLow;
    const bandHigh = this.bandHigh;
    for (let j = 0; j < Math.min(bins, spread); j++) occupied += indicator[j] as number;
    if (!first) {
      const presenceStep = 1 - presenceSmoothing;
      const noiseStep = 1 - noiseSmoothing;
      for (let k = 0; k < bins; k++) {
        if (k + spread < bins) occupied += indicator[k + spread] as number;
        if (k - spread - 1 >= 0) occupied -= indicator[k - spread - 1] as number;
        const present = occupied > 0;
        const prob = presenceSmoothing * (presence[k] as number) + (present ? presenceStep : 0);
        presence[k] = prob;
        // Warm-up: until the first minimum window is complete, the noise is the plain running mean
        // of the periodogram (a stream is assumed to start without a sustained source). An occupied
        // bin is never averaged into the noise, not even by the smoothed probability's first
        // frames (that leak let a sudden loud source raise its own noise floor).
        const a = warmUp ? warmA : present ? 1 : noiseSmoothing + noiseStep * prob;
        noiseArr[k] = a * (noiseArr[k] as number) + (1 - a) * (power[k] as number);
      }
    }
    // Wiener gain with the decision-directed a-priori SNR ξ = (β·clean_prev + (1 − β)·max(P − N, 0)) / N
    // (a separate loop: its two divisions per bin do not wait on the presence bookkeeping above).
    const directedStep = 1 - decisionDirected;
    for (let k = 0; k < bins; k++) {
      const pk = power[k] as number;
      const noise = noiseArr[k] as number;
      total += pk;
      noiseSum += noise;
      const xi = (decisionDirected * (prevClean[k] as number) + directedStep * (pk > noise ? pk - noise : 0)) / noise;
      const g = xi / (1 + xi);
      const gain = g < gainFloor ? gainFloor : g;
      prevClean[k] = gain * gain * pk;
      gainsOut[gOff + k] = gain;
    }
    for (let k = bandLow; k <= bandHigh; k++) {
      bandP += power[k] as number;
      bandN += noiseArr[k] as number;
    }
    if (synthesise) {
      for (let k = 0; k < bins; k++) {
        const gain = gainsOut[gOff + k] as number;
        spec[2 * k] = (raw[sOff + 2 * k] as number) * gain;
        spec[2 * k + 1] = (raw[sOff + 2 * k + 1] as number) * gain;
      }
    }
    this.frameTotal = total;
    this.frameNoise = noiseSum;
    this.bandPowerOut[index] = bandP;
    this.bandNoiseOut[index] = bandN;
  }
}

/** SNR in dB from summed total and noise power: 10·log10(max(total − noise, ε) / noise), clamped to [−30, 80]. */
export function snrDbFromPowers(totalPower: number, noisePower: number): number {
  if (!(noisePower > 0)) return 80;
  const snr = 10 * Math.log10(Math.max(totalPower - noisePower, 1e-3 * noisePower * 1e-3) / noisePower);
  return Math.min(80, Math.max(-30, snr));
}
