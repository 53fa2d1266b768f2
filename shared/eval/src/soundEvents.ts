import { solveAssignment } from './assignment.js';
import { InvalidEvalInputError } from './errors.js';

/** A sound event (reference or detected): class, onset/offset in µs, optional direction of arrival. */
export interface SoundEvent {
  readonly className: string;
  readonly onsetUs: number;
  readonly offsetUs: number;
  /** Bearing of the source in radians (any convention, the same for reference and estimate). */
  readonly bearingRad?: number;
}

export interface SoundEventEvalOptions {
  /** Onsets match when |Δonset| ≤ this. sed_eval's t_collar; default 200 ms. */
  readonly onsetCollarUs?: number;
  /** Also require the offsets to match (sed_eval evaluate_offset); default false. */
  readonly evaluateOffset?: boolean;
  /** Offset collar is max(onsetCollarUs, this × reference length); sed_eval default 0.5. */
  readonly percentageOfLength?: number;
}

export interface SoundEventCounts {
  readonly numReference: number;
  readonly numEstimated: number;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface SoundEventMetrics {
  /** Over all events (a hit needs the right class and timing). */
  readonly overall: SoundEventCounts & {
    /** Events with right timing but wrong class (counted once, as in sed_eval's error rate). */
    readonly substitutions: number;
    readonly deletions: number;
    readonly insertions: number;
    /** (S + D + I) / N_ref. */
    readonly errorRate: number;
  };
  readonly classWise: Readonly<Record<string, SoundEventCounts>>;
  /** Mean over classes of the class F1 (classes with NaN F1 left out). */
  readonly classWiseMacroF1: number;
  /** Circular bearing error of the true positives that carry a bearing on both sides. */
  readonly bearing: {
    readonly count: number;
    readonly meanAbsErrorRad: number;
    readonly rmsErrorRad: number;
    readonly maxAbsErrorRad: number;
  };
}

/** Signed smallest angle from b to a, in (−π, π]. */
export function circularDifference(aRad: number, bRad: number): number {
  let d = (aRad - bRad) % (2 * Math.PI);
  if (d > Math.PI) d -= 2 * Math.PI;
  else if (d <= -Math.PI) d += 2 * Math.PI;
  return d;
}

function timingMatches(ref: SoundEvent, est: SoundEvent, o: Required<SoundEventEvalOptions>): boolean {
  if (Math.abs(ref.onsetUs - est.onsetUs) > o.onsetCollarUs) return false;
  if (!o.evaluateOffset) return true;
  const collar = Math.max(o.onsetCollarUs, o.percentageOfLength * (ref.offsetUs - ref.onsetUs));
  return Math.abs(ref.offsetUs - est.offsetUs) <= collar;
}

/**
 * A maximum matching of reference to estimated events under `allowed`; among maximum matchings the one
 * with the least total |Δonset| (sed_eval takes any maximum matching; the count is the same).
 */
function match(
  refs: readonly SoundEvent[],
  ests: readonly SoundEvent[],
  allowed: (r: SoundEvent, e: SoundEvent) => boolean,
): { ref: number; est: number }[] {
  if (refs.length === 0 || ests.length === 0) return [];
  const costs = refs.map((r) => ests.map((e) => (allowed(r, e) ? Math.abs(r.onsetUs - e.onsetUs) : Number.NaN)));
  return solveAssignment(costs).map(({ row, col }) => ({ ref: row, est: col }));
}

function counts(numReference: number, numEstimated: number, tp: number): SoundEventCounts {
  const precision = numEstimated === 0 ? Number.NaN : tp / numEstimated;
  const recall = numReference === 0 ? Number.NaN : tp / numReference;
  const f1 = numReference + numEstimated === 0 ? Number.NaN : (2 * tp) / (numReference + numEstimated);
  return { numReference, numEstimated, tp, fp: numEstimated - tp, fn: numReference - tp, precision, recall, f1 };
}

/** Event-based precision/recall/F1 of sound events (sed_eval's EventBasedMetrics) and bearing error. */
export function evaluateSoundEvents(
  reference: readonly SoundEvent[],
  estimated: readonly SoundEvent[],
  options: SoundEventEvalOptions = {},
): SoundEventMetrics {
  const o: Required<SoundEventEvalOptions> = {
    onsetCollarUs: options.onsetCollarUs ?? 200_000,
    evaluateOffset: options.evaluateOffset ?? false,
    percentageOfLength: options.percentageOfLength ?? 0.5,
  };
  for (const e of [...reference, ...estimated]) {
    if (!Number.isFinite(e.onsetUs) || !Number.isFinite(e.offsetUs) || e.offsetUs < e.onsetUs) {
      throw new InvalidEvalInputError(
        `a sound event needs finite onsetUs <= offsetUs, found onset ${e.onsetUs} offset ${e.offsetUs}`,
        { context: { className: e.className } },
      );
    }
  }
  const hits = match(reference, estimated, (r, e) => r.className === e.className && timingMatches(r, e, o));
  const refMatched = new Set(hits.map((h) => h.ref));
  const estMatched = new Set(hits.map((h) => h.est));
  const refLeft = reference.filter((_, i) => !refMatched.has(i));
  const estLeft = estimated.filter((_, i) => !estMatched.has(i));
  const substitutions = match(refLeft, estLeft, (r, e) => r.className !== e.className && timingMatches(r, e, o)).length;

  const tp = hits.length;
  const overallCounts = counts(reference.length, estimated.length, tp);
  const deletions = reference.length - tp - substitutions;
  const insertions = estimated.length - tp - substitutions;

  const classNames = [...new Set([...reference, ...estimated].map((e) => e.className))].sort();
  const classWise: Record<string, SoundEventCounts> = {};
  for (const c of classNames) {
    const refs = reference.filter((e) => e.className === c);
    const ests = estimated.filter((e) => e.className === c);
    classWise[c] = counts(refs.length, ests.length, match(refs, ests, (r, e) => timingMatches(r, e, o)).length);
  }
  const f1s = Object.values(classWise)
    .map((c) => c.f1)
    .filter((f) => !Number.isNaN(f));

  const bearingErrors: number[] = [];
  for (const h of hits) {
    const rb = reference[h.ref]?.bearingRad;
    const eb = estimated[h.est]?.bearingRad;
    if (rb !== undefined && eb !== undefined) bearingErrors.push(Math.abs(circularDifference(eb, rb)));
  }
  const n = bearingErrors.length;
  return {
    overall: {
      ...overallCounts,
      substitutions,
      deletions,
      insertions,
      errorRate: reference.length === 0 ? Number.NaN : (substitutions + deletions + insertions) / reference.length,
    },
    classWise,
    classWiseMacroF1: f1s.length === 0 ? Number.NaN : f1s.reduce((a, b) => a + b, 0) / f1s.length,
    bearing: {
      count: n,
      meanAbsErrorRad: n === 0 ? Number.NaN : bearingErrors.reduce((a, b) => a + b, 0) / n,
      rmsErrorRad: n === 0 ? Number.NaN : Math.sqrt(bearingErrors.reduce((a, b) => a + b * b, 0) / n),
      maxAbsErrorRad: n === 0 ? Number.NaN : Math.max(...bearingErrors),
    },
  };
}
