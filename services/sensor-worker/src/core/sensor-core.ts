import {
  chiSquareDraw,
  DEFAULT_SENSOR_PROFILES,
  gaussian,
  HampelWindow,
  ScalarKalman,
  seededRandom,
  SimpleRls,
  spanToSi,
  StuckDetector,
  toSi,
  unitConversion,
  UnitMismatchError,
  type Dimension,
  type RandomSource,
  type SensorProfile,
  type UnitConversion,
} from '@sensorfuse/imputation';
import type { ImputationMethod, SensorMetadata, SensorReading, SensorState, SensorType } from '@sensorfuse/schemas';
import type { WorkerCore } from '@sensorfuse/worker';
import { DuplicateReadingError, InvalidReadingError, OutOfOrderReadingError } from './errors.js';
import type { SensorParams } from './params.js';

/** Most components a reading may carry (a small vector, e.g. four wheel speeds). */
export const MAX_COMPONENTS = 16;
/** Silent sensors are looked for at most this often per rig, in capture time. */
export const SILENCE_CHECK_INTERVAL_US = 100_000;
const US_PER_S = 1_000_000;
const MIN_STD = 1e-9;

export interface SensorCoreOptions {
  readonly params: SensorParams;
  /** Programmatic overrides of the built-in sensor type profiles (metadata in the records overrides both). */
  readonly profiles?: Partial<Record<SensorType, Partial<SensorProfile>>>;
  /** Clock of the outputs' publishTimeUs. */
  readonly nowUs: () => number;
  /** Counters shared by every rig's core (the service aggregates them). */
  readonly stats?: SensorCoreStats;
}

/** What the cores did, for tests, logs and the README's figures. */
export interface SensorCoreStats {
  readings: number;
  /** Output records, measured and imputed. */
  published: number;
  /** Components rejected by the Hampel filter. */
  outliers: number;
  stuck: number;
  outOfRange: number;
  /** Components that were NaN/Infinity or came with quality `invalid`. */
  invalidValues: number;
  /** Records imputed for samples missing between two readings. */
  gapSamples: number;
  /** Records imputed for sensors gone silent. */
  silentSamples: number;
  /** Imputed records by method. */
  readonly imputedByMethod: Record<ImputationMethod, number>;
}

export function createSensorCoreStats(): SensorCoreStats {
  return {
    readings: 0,
    published: 0,
    outliers: 0,
    stuck: 0,
    outOfRange: 0,
    invalidValues: 0,
    gapSamples: 0,
    silentSamples: 0,
    imputedByMethod: { none: 0, last_value: 0, linear: 0, mean: 0, kalman: 0, multiple: 0, cross_sensor: 0, other: 0 },
  };
}

type Verdict = 'accepted' | 'missing' | 'outlier' | 'out_of_range' | 'stuck';

/** One scalar component of one sensor: its filters and running statistics, in SI units. */
class Channel {
  readonly kalman: ScalarKalman;
  hampel: HampelWindow;
  stuck: StuckDetector;
  lastValue = Number.NaN;
  lastValueUs = 0;
  count = 0;
  mean = 0;
  m2 = 0;

  constructor(profile: SensorProfile, params: SensorParams) {
    this.kalman = new ScalarKalman({ model: profile.model, processNoise: profile.processNoise, measurementVariance: measurementVariance(profile) });
    [this.hampel, this.stuck] = rejectionFilters(profile, params);
  }

  retune(profile: SensorProfile, params: SensorParams): void {
    [this.hampel, this.stuck] = rejectionFilters(profile, params);
  }

  accept(timeUs: number, value: number, variance: number): void {
    this.kalman.update(timeUs, value, variance);
    this.lastValue = value;
    this.lastValueUs = timeUs;
    this.count++;
    const d = value - this.mean;
    this.mean += d / this.count;
    this.m2 += d * (value - this.mean);
  }

  get meanStd(): number {
    return this.count > 1 ? Math.sqrt((this.m2 / (this.count - 1)) * (1 + 1 / this.count)) : Number.NaN;
  }
}

/** A channel's outlier and stuck filters, fresh: σ floored at the resolution or the noise, stuck within half a step. */
function rejectionFilters(profile: SensorProfile, params: SensorParams): [HampelWindow, StuckDetector] {
  return [
    new HampelWindow(params.hampelWindow, params.hampelSigmas, Math.max(profile.resolution, profile.noiseStd)),
    new StuckDetector(params.stuckWindowUs, profile.resolution / 2),
  ];
}

function measurementVariance(profile: SensorProfile): number {
  // Quantisation adds resolution²/12 to the analogue noise.
  return profile.noiseStd * profile.noiseStd + (profile.resolution * profile.resolution) / 12;
}

/** The state of one sensor of a rig. */
class SensorTrack {
  readonly channels: Channel[];
  profile: SensorProfile;
  conversion: UnitConversion;
  periodUs: number;
  lastSeq: number;
  lastCaptureUs: number;
  lastEmittedUs: number;
  lastMeasuredUs = Number.NEGATIVE_INFINITY;
  outSeq = 0;
  frameId: string;
  /** Index among the rig's scalar sensors taking part in cross-sensor regressions, or -1. */
  crossIndex = -1;

  constructor(
    readonly sensorId: string,
    readonly sensorType: SensorType,
    readonly dimension: Dimension,
    reading: SensorReading,
    conversion: UnitConversion,
    profile: SensorProfile,
    params: SensorParams,
  ) {
    this.profile = profile;
    this.conversion = conversion;
    this.periodUs = Math.max(1, Math.round(US_PER_S / profile.expectedRateHz));
    this.channels = reading.values.map(() => new Channel(profile, params));
    this.lastSeq = reading.seq;
    this.lastCaptureUs = reading.captureTimeUs;
    this.lastEmittedUs = reading.captureTimeUs;
    this.frameId = reading.frameId;
  }
}

interface Imputed {
  mean: number;
  std: number;
  method: ImputationMethod;
  draws: number;
  predictor?: string;
}

function describeValues(values: readonly number[]): string {
  return values.length > 4 ? `${values.length} values` : `[${values.join(', ')}]`;
}

/**
 * The sensor worker's pure core for one rig (the worker keys cores by rig, so correlated sensors of
 * a rig share it): unit normalisation, outlier / range / stuck rejection, Kalman denoising, and
 * imputation of missing samples (once the next reading arrives), of rejected readings and of
 * silent sensors (in real time, from the rig's other sensors' traffic), each flagged with its
 * method and uncertainty. Throws a PoisonRecordError for input it cannot use (→ DLQ).
 */
export class SensorCore implements WorkerCore<SensorReading, SensorState> {
  readonly #params: SensorParams;
  readonly #profiles: Partial<Record<SensorType, Partial<SensorProfile>>>;
  readonly #nowUs: () => number;
  readonly #random: RandomSource;
  readonly stats: SensorCoreStats;
  readonly #sensors = new Map<string, SensorTrack>();
  readonly #cross: SensorTrack[] = [];
  /** #rls[target][predictor]: y_target = a + b · x_predictor, trained on co-observed samples. */
  readonly #rls: (SimpleRls | undefined)[][] = [];
  #lastSilenceCheckUs = Number.NEGATIVE_INFINITY;
  #rigId = '';

  constructor(options: SensorCoreOptions) {
    this.#params = options.params;
    this.#profiles = options.profiles ?? {};
    this.#nowUs = options.nowUs;
    this.#random = seededRandom(options.params.seed);
    this.stats = options.stats ?? createSensorCoreStats();
  }

  /** Sensors this core has seen, with the time of their last accepted measurement. */
  sensors(): { sensorId: string; lastMeasuredUs: number; lastEmittedUs: number }[] {
    return [...this.#sensors.values()].map((s) => ({ sensorId: s.sensorId, lastMeasuredUs: s.lastMeasuredUs, lastEmittedUs: s.lastEmittedUs }));
  }

  /** Slope and intercept learned for target ← predictor, if that pair is tracked. */
  regression(targetId: string, predictorId: string): { slope: number; intercept: number; rSquared: number; pairs: number } | undefined {
    const t = this.#sensors.get(targetId);
    const p = this.#sensors.get(predictorId);
    if (t === undefined || p === undefined || t.crossIndex < 0 || p.crossIndex < 0) return undefined;
    const rls = this.#rls[t.crossIndex]?.[p.crossIndex];
    return rls === undefined ? undefined : { slope: rls.slope, intercept: rls.intercept, rSquared: rls.rSquared, pairs: rls.count };
  }

  update(reading: SensorReading): SensorState[] {
    const out: SensorState[] = [];
    this.#rigId = reading.rigId;
    const t = reading.captureTimeUs;
    const n = reading.values.length;
    if (n < 1 || n > MAX_COMPONENTS) {
      throw new InvalidReadingError('values', `1..${MAX_COMPONENTS} components`, `${n}`, { context: { sensorId: reading.sensorId } });
    }
    let track = this.#sensors.get(reading.sensorId);
    const expected = track?.dimension ?? this.#baseProfile(reading.sensorType).dimension;
    const conversion =
      track?.conversion.unit === reading.unit ? track.conversion : unitConversion(reading.unit, expected === 'dimensionless' && track === undefined ? undefined : expected);
    if (track !== undefined) {
      if (t <= track.lastCaptureUs) {
        if (reading.seq === track.lastSeq) {
          throw new DuplicateReadingError(`duplicate reading: seq ${reading.seq} at ${t} µs was already processed`, { context: { sensorId: reading.sensorId } });
        }
        throw new OutOfOrderReadingError(
          `reading out of order: captureTimeUs ${t} is not after the sensor's previous ${track.lastCaptureUs} (seq ${reading.seq} after ${track.lastSeq})`,
          { context: { sensorId: reading.sensorId } },
        );
      }
      if (n !== track.channels.length) {
        throw new InvalidReadingError('values', `${track.channels.length} components as before`, `${n}`, { context: { sensorId: reading.sensorId } });
      }
      if (reading.sensorType !== track.sensorType) {
        throw new InvalidReadingError('sensorType', track.sensorType, reading.sensorType, { context: { sensorId: reading.sensorId } });
      }
    }
    const profile = reading.metadata === null ? (track?.profile ?? this.#baseProfile(reading.sensorType)) : this.#withMetadata(reading, conversion.dimension);

    if (track !== undefined && (profile.resolution !== track.profile.resolution || profile.noiseStd !== track.profile.noiseStd)) {
      // New metadata: the Hampel floor and the stuck tolerance depend on noise and resolution.
      for (const c of track.channels) c.retune(profile, this.#params);
    }

    // Judge each component before touching any filter: gap filling needs the state before this reading.
    const measured = reading.values.map((v) => (Number.isFinite(v) ? toSi(conversion, v) : Number.NaN));
    const verdicts: Verdict[] = [];
    let r = measurementVariance(profile);
    if (reading.quality === 'degraded') r *= 4;
    const channels = track?.channels;
    for (let i = 0; i < n; i++) {
      const x = measured[i] ?? Number.NaN;
      if (!Number.isFinite(x) || reading.quality === 'invalid') {
        verdicts.push('missing');
        continue;
      }
      if (x < profile.minValue || x > profile.maxValue) {
        verdicts.push('out_of_range');
        continue;
      }
      const channel = channels?.[i];
      const outlier = channel?.hampel.push(x).outlier ?? false;
      const stuck = channel?.stuck.update(t, x) ?? false;
      verdicts.push(stuck ? 'stuck' : outlier ? 'outlier' : 'accepted');
    }
    if (track === undefined) {
      if (!verdicts.includes('accepted')) {
        throw new InvalidReadingError(
          'values',
          `a finite value within [${profile.minValue}, ${profile.maxValue}] ${conversion.siUnit} (the sensor has no estimate yet to impute from)`,
          `${describeValues(reading.values)} ${reading.unit}`,
          { context: { sensorId: reading.sensorId } },
        );
      }
      track = new SensorTrack(reading.sensorId, reading.sensorType, conversion.dimension, reading, conversion, profile, this.#params);
      this.#sensors.set(reading.sensorId, track);
      if (n === 1 && this.#cross.length < this.#params.crossSensor.maxSensorsPerRig) {
        track.crossIndex = this.#cross.length;
        this.#cross.push(track);
      }
      // The first reading primes the robust filters.
      track.channels.forEach((c, i) => {
        const x = measured[i] ?? Number.NaN;
        if (verdicts[i] === 'accepted') {
          c.hampel.push(x);
          c.stuck.update(t, x);
        }
      });
    } else {
      track.profile = profile;
      track.conversion = conversion;
      track.periodUs = Math.max(1, Math.round(US_PER_S / profile.expectedRateHz));
      for (const c of track.channels) c.kalman.measurementVariance = measurementVariance(profile);
      this.#fillGap(track, t, measured, verdicts, r, out);
    }
    this.#count(verdicts);

    // Filter the accepted components; impute the rest at t.
    const values: number[] = [];
    const stds: number[] = [];
    let method: ImputationMethod = 'none';
    let draws = 0;
    const predictors: string[] = [];
    track.channels.forEach((c, i) => {
      if (verdicts[i] === 'accepted') {
        c.accept(t, measured[i] ?? 0, r);
        values.push(c.kalman.estimate.mean);
        stds.push(Math.max(MIN_STD, Math.sqrt(c.kalman.estimate.variance)));
      } else {
        const imputed = this.#imputeNow(track, c, t, this.#params.silentMethod);
        values.push(imputed.mean);
        stds.push(imputed.std);
        if (method === 'none') method = imputed.method;
        draws = Math.max(draws, imputed.draws);
        if (imputed.predictor !== undefined && !predictors.includes(imputed.predictor)) predictors.push(imputed.predictor);
      }
    });
    if (verdicts.includes('accepted')) track.lastMeasuredUs = t;
    track.lastSeq = reading.seq;
    track.lastCaptureUs = t;
    track.frameId = reading.frameId;
    out.push(
      this.#emit(track, t, values, stds, measured.every(Number.isFinite) ? measured : [], method, draws, predictors, {
        outlier: verdicts.includes('outlier'),
        stuck: verdicts.includes('stuck'),
        outOfRange: verdicts.includes('out_of_range'),
      }),
    );
    if (track.crossIndex >= 0 && verdicts[0] === 'accepted') this.#train(track, t, measured[0] ?? 0);
    this.#imputeSilent(reading, t, out);
    this.stats.readings++;
    return out;
  }

  #baseProfile(type: SensorType): SensorProfile {
    return { ...DEFAULT_SENSOR_PROFILES[type], ...this.#profiles[type] };
  }

  /** The sensor type's profile with the reading's metadata converted to SI on top. */
  #withMetadata(reading: SensorReading, dimension: Dimension): SensorProfile {
    const meta: SensorMetadata = reading.metadata as SensorMetadata;
    const context = { context: { sensorId: reading.sensorId } };
    const conv = unitConversion(meta.unit, dimension === 'dimensionless' ? undefined : dimension);
    if (conv.dimension !== dimension) throw new UnitMismatchError(meta.unit, dimension, conv.dimension, context);
    const lo = toSi(conv, meta.minValue);
    const hi = toSi(conv, meta.maxValue);
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi)) {
      throw new InvalidReadingError('metadata.minValue/maxValue', 'finite with min < max', `${meta.minValue}..${meta.maxValue} ${meta.unit}`, context);
    }
    if (!(Number.isFinite(meta.resolution) && meta.resolution >= 0)) {
      throw new InvalidReadingError('metadata.resolution', 'finite and >= 0', String(meta.resolution), context);
    }
    if (!(Number.isFinite(meta.expectedRateHz) && meta.expectedRateHz > 0 && meta.expectedRateHz <= 100_000)) {
      throw new InvalidReadingError('metadata.expectedRateHz', 'in (0, 100000] Hz', String(meta.expectedRateHz), context);
    }
    if (meta.noiseStd !== null && !(Number.isFinite(meta.noiseStd) && meta.noiseStd > 0)) {
      throw new InvalidReadingError('metadata.noiseStd', 'finite and > 0, or null', String(meta.noiseStd), context);
    }
    const base = this.#baseProfile(reading.sensorType);
    return {
      ...base,
      minValue: Math.min(lo, hi),
      maxValue: Math.max(lo, hi),
      resolution: spanToSi(conv, meta.resolution),
      expectedRateHz: meta.expectedRateHz,
      noiseStd: meta.noiseStd === null ? base.noiseStd : spanToSi(conv, meta.noiseStd),
    };
  }

  #count(verdicts: readonly Verdict[]): void {
    for (const v of verdicts) {
      if (v === 'outlier') this.stats.outliers++;
      else if (v === 'stuck') this.stats.stuck++;
      else if (v === 'out_of_range') this.stats.outOfRange++;
      else if (v === 'missing') this.stats.invalidValues++;
    }
  }

  /** Samples missing between the last output and this reading: imputed with both ends known. */
  #fillGap(track: SensorTrack, t: number, measured: readonly number[], verdicts: readonly Verdict[], r: number, out: SensorState[]): void {
    const p = this.#params;
    let emitted = 0;
    for (let ts = track.lastEmittedUs + track.periodUs; ts <= t - track.periodUs / 2; ts += track.periodUs) {
      if (emitted >= p.maxImputedPerReading || ts - track.lastMeasuredUs > p.maxImputeUs) break;
      const values: number[] = [];
      const stds: number[] = [];
      let method: ImputationMethod = 'none';
      let draws = 0;
      track.channels.forEach((c, i) => {
        const imputed = verdicts[i] === 'accepted' ? this.#bridge(c, ts, t, measured[i] ?? 0, r, p.gapMethod) : this.#imputeNow(track, c, ts, p.silentMethod);
        values.push(imputed.mean);
        stds.push(imputed.std);
        if (method === 'none') method = imputed.method;
        draws = Math.max(draws, imputed.draws);
      });
      out.push(this.#emit(track, ts, values, stds, [], method, draws, [], { outlier: false, stuck: false, outOfRange: false }));
      this.stats.gapSamples++;
      emitted++;
    }
  }

  /**
   * A gap sample at ts between the filter's last update and the accepted measurement y at t:
   * Gaussian conditioning of the prediction at ts on y (a Brownian bridge for a random walk).
   */
  #bridge(c: Channel, ts: number, t: number, y: number, r: number, method: SensorParams['gapMethod']): Imputed {
    if (method === 'kalman' || method === 'last_value' || method === 'mean') return this.#forward(c, ts, method);
    const k = c.kalman;
    const p0 = k.estimate.variance;
    const atTs = k.predict(ts);
    const atT = k.predict(t);
    const a = atTs.variance;
    const b = r + Math.max(0, atT.variance - atTs.variance);
    const residual = y - atT.mean;
    if (method === 'linear') {
      return { mean: atTs.mean + (a / (a + b)) * residual, std: Math.max(MIN_STD, Math.sqrt((a * b) / (a + b))), method: 'linear', draws: 0 };
    }
    // Multiple imputation: each draw scales the process-noise part of the variances by ν/χ²_ν
    // (uncertainty of q), then draws from that bridge; mean and Rubin's total variance.
    const m = this.#params.multipleDraws;
    const nu = this.#params.multipleDof;
    let sum = 0;
    let sumSq = 0;
    for (let d = 0; d < m; d++) {
      const f = nu / Math.max(1e-12, chiSquareDraw(this.#random, nu));
      const ai = p0 + f * (a - p0);
      const bi = r + f * (b - r);
      const x = atTs.mean + (ai / (ai + bi)) * residual + Math.sqrt((ai * bi) / (ai + bi)) * gaussian(this.#random);
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / m;
    const between = Math.max(0, (sumSq - m * mean * mean) / (m - 1));
    return { mean, std: Math.max(MIN_STD, Math.sqrt((1 + 1 / m) * between)), method: 'multiple', draws: m };
  }

  /** Forward-only imputation at ts (no later sample): Kalman prediction, last value or running mean. */
  #forward(c: Channel, ts: number, method: 'kalman' | 'last_value' | 'mean'): Imputed {
    const prediction = c.kalman.predict(ts);
    if (method === 'last_value' && Number.isFinite(c.lastValue)) {
      const grown = Math.max(0, prediction.variance - c.kalman.estimate.variance);
      return { mean: c.lastValue, std: Math.max(MIN_STD, Math.sqrt(c.kalman.measurementVariance + grown)), method: 'last_value', draws: 0 };
    }
    if (method === 'mean' && Number.isFinite(c.meanStd)) return { mean: c.mean, std: Math.max(MIN_STD, c.meanStd), method: 'mean', draws: 0 };
    if (!c.kalman.initialized) return { mean: 0, std: Number.MAX_VALUE, method: 'mean', draws: 0 };
    return { mean: prediction.mean, std: Math.max(MIN_STD, Math.sqrt(prediction.variance)), method: 'kalman', draws: 0 };
  }

  /** Imputation without a later sample of this sensor: cross-sensor when a good predictor is fresh, else `method`. */
  #imputeNow(track: SensorTrack, c: Channel, ts: number, method: SensorParams['silentMethod']): Imputed {
    if (!c.kalman.initialized) return this.#rangeMean(track);
    if (method !== 'cross_sensor') return this.#forward(c, ts, method);
    const cross = this.#crossPredict(track, ts);
    if (cross !== undefined) return cross;
    return this.#forward(c, ts, 'kalman');
  }

  /** A component never measured: the middle of the physical range, with the range's uniform std. */
  #rangeMean(track: SensorTrack): Imputed {
    const { minValue, maxValue } = track.profile;
    return { mean: (minValue + maxValue) / 2, std: Math.max(MIN_STD, (maxValue - minValue) / Math.sqrt(12)), method: 'mean', draws: 0 };
  }

  #crossPredict(track: SensorTrack, ts: number): Imputed | undefined {
    if (track.crossIndex < 0) return undefined;
    const row = this.#rls[track.crossIndex];
    if (row === undefined) return undefined;
    const cfg = this.#params.crossSensor;
    let best: SensorTrack | undefined;
    let bestModel: SimpleRls | undefined;
    for (const predictor of this.#cross) {
      const model = row[predictor.crossIndex];
      if (predictor === track || model === undefined || model.count < cfg.minPairs || model.rSquared < cfg.minRSquared) continue;
      // Only a predictor measured near ts (not itself silent) stands for the value at ts.
      if (Math.abs(ts - predictor.lastMeasuredUs) > this.#params.silentAfterPeriods * predictor.periodUs) continue;
      if (bestModel === undefined || model.rSquared > bestModel.rSquared) {
        best = predictor;
        bestModel = model;
      }
    }
    const channel = best?.channels[0];
    if (best === undefined || bestModel === undefined || channel === undefined) return undefined;
    const x = channel.kalman.predictMean(ts);
    const prediction = bestModel.predict(x);
    const r = track.channels[0]?.kalman.measurementVariance ?? 0;
    // The regression's residual includes the target's own measurement noise; the estimate is of the true value.
    const variance = Math.max(prediction.variance - r, 0.01 * prediction.variance);
    return { mean: prediction.mean, std: Math.max(MIN_STD, Math.sqrt(variance)), method: 'cross_sensor', draws: 0, predictor: best.sensorId };
  }

  /** Pairs this accepted scalar measurement with every fresh partner's current estimate. */
  #train(track: SensorTrack, t: number, y: number): void {
    const row = (this.#rls[track.crossIndex] ??= []);
    for (const predictor of this.#cross) {
      if (predictor === track) continue;
      const channel = predictor.channels[0];
      if (channel === undefined || !channel.kalman.initialized || t - predictor.lastMeasuredUs > 1.5 * predictor.periodUs) continue;
      (row[predictor.crossIndex] ??= new SimpleRls(this.#params.crossSensor.forgetting)).update(channel.kalman.predictMean(t), y);
    }
  }

  /** Sensors of this rig that went silent get imputed samples up to (rig time − one period). */
  #imputeSilent(reading: SensorReading, t: number, out: SensorState[]): void {
    if (t - this.#lastSilenceCheckUs < SILENCE_CHECK_INTERVAL_US) return;
    this.#lastSilenceCheckUs = t;
    const p = this.#params;
    for (const track of this.#sensors.values()) {
      if (track.sensorId === reading.sensorId || t - track.lastCaptureUs <= p.silentAfterPeriods * track.periodUs) continue;
      let emitted = 0;
      for (let ts = track.lastEmittedUs + track.periodUs; ts <= t - track.periodUs; ts += track.periodUs) {
        if (emitted >= p.maxImputedPerReading || ts - track.lastMeasuredUs > p.maxImputeUs) break;
        const values: number[] = [];
        const stds: number[] = [];
        let method: ImputationMethod = 'none';
        const predictors: string[] = [];
        for (const c of track.channels) {
          const imputed = this.#imputeNow(track, c, ts, p.silentMethod);
          values.push(imputed.mean);
          stds.push(imputed.std);
          if (method === 'none') method = imputed.method;
          if (imputed.predictor !== undefined && !predictors.includes(imputed.predictor)) predictors.push(imputed.predictor);
        }
        out.push(this.#emit(track, ts, values, stds, [], method, 0, predictors, { outlier: false, stuck: false, outOfRange: false }));
        this.stats.silentSamples++;
        emitted++;
      }
    }
  }

  #emit(
    track: SensorTrack,
    ts: number,
    values: number[],
    std: number[],
    measured: number[],
    method: ImputationMethod,
    draws: number,
    predictorSensorIds: string[],
    flags: { outlier: boolean; stuck: boolean; outOfRange: boolean },
  ): SensorState {
    const imputed = method !== 'none';
    if (imputed) this.stats.imputedByMethod[method]++;
    this.stats.published++;
    track.lastEmittedUs = ts;
    return {
      rigId: this.#rigId,
      sensorId: track.sensorId,
      seq: track.outSeq++,
      captureTimeUs: ts,
      publishTimeUs: this.#nowUs(),
      frameId: track.frameId,
      sensorType: track.sensorType,
      unit: track.conversion.siUnit,
      values,
      std,
      measured,
      outlier: flags.outlier,
      stuck: flags.stuck,
      outOfRange: flags.outOfRange,
      imputed,
      imputationMethod: method,
      imputationDraws: draws,
      predictorSensorIds,
      sinceMeasuredUs: Math.max(0, ts - (Number.isFinite(track.lastMeasuredUs) ? track.lastMeasuredUs : ts)),
    };
  }
}
