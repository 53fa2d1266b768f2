import { solveAssignment } from './assignment.js';
import { InvalidEvalInputError } from './errors.js';

/** A truth object id or a tracker (hypothesis) id. */
export type TrackId = string | number;

export type MotEventType = 'MATCH' | 'SWITCH' | 'MISS' | 'FP' | 'TRANSFER' | 'ASCEND' | 'MIGRATE';

/** One CLEAR-MOT event, as py-motmetrics' `MOTAccumulator` records it. */
export interface MotEvent {
  readonly frameIndex: number;
  readonly type: MotEventType;
  readonly objectId?: TrackId;
  readonly hypothesisId?: TrackId;
  /** Distance of the pair (NaN for MISS and FP). */
  readonly distance: number;
}

/**
 * Frame-by-frame CLEAR-MOT event accumulator with the rules of py-motmetrics:
 * 1. a truth object matched in the previous frame keeps its hypothesis if that pair is still allowed
 *    (finite distance);
 * 2. the rest are paired by a min-cost assignment (most pairs first, then least total distance);
 *    a pair whose object was last paired with another hypothesis is a SWITCH;
 * 3. unpaired objects are MISSes, unpaired hypotheses are FPs.
 * Distances are NaN (or ±Infinity) where a pair is not allowed, e.g. beyond the gating distance.
 */
export class MotAccumulator {
  readonly #events: MotEvent[] = [];
  #frames = 0;
  /** Object → last hypothesis paired with it. */
  readonly #objectToHyp = new Map<TrackId, TrackId>();
  /** Hypothesis → last object paired with it. */
  readonly #hypToObject = new Map<TrackId, TrackId>();
  /** Object → index of the frame in which it was last paired. */
  readonly #lastMatchFrame = new Map<TrackId, number>();
  readonly #hypSeen = new Set<TrackId>();
  /** Frames in which each id is present, and in which each pair has a finite distance (for IDF1). */
  readonly #objectFrames = new Map<TrackId, number>();
  readonly #hypFrames = new Map<TrackId, number>();
  readonly #pairFrames = new Map<TrackId, Map<TrackId, number>>();

  get numFrames(): number {
    return this.#frames;
  }

  get events(): readonly MotEvent[] {
    return this.#events;
  }

  /** Adds one frame; `distances[i][j]` is the distance of object i to hypothesis j. Returns the frame index. */
  update(
    objectIds: readonly TrackId[],
    hypothesisIds: readonly TrackId[],
    distances: readonly (readonly number[])[],
  ): number {
    const frame = this.#frames;
    const no = objectIds.length;
    const nh = hypothesisIds.length;
    checkUnique(objectIds, 'object', frame);
    checkUnique(hypothesisIds, 'hypothesis', frame);
    if (no > 0 && nh > 0 && (distances.length !== no || distances.some((r) => r.length !== nh))) {
      throw new InvalidEvalInputError(
        `distance matrix must be ${no}x${nh} (objects x hypotheses), found ${distances.length}x${distances[0]?.length ?? 0}`,
        { context: { frameIndex: frame } },
      );
    }
    const dist = (i: number, j: number): number => distances[i]?.[j] ?? Number.NaN;

    for (const o of objectIds) this.#objectFrames.set(o, (this.#objectFrames.get(o) ?? 0) + 1);
    for (const h of hypothesisIds) this.#hypFrames.set(h, (this.#hypFrames.get(h) ?? 0) + 1);
    for (let i = 0; i < no; i++) {
      const o = objectIds[i] as TrackId;
      for (let j = 0; j < nh; j++) {
        if (!Number.isFinite(dist(i, j))) continue;
        const h = hypothesisIds[j] as TrackId;
        let row = this.#pairFrames.get(o);
        if (row === undefined) {
          row = new Map();
          this.#pairFrames.set(o, row);
        }
        row.set(h, (row.get(h) ?? 0) + 1);
      }
    }

    const objectUsed = new Array<boolean>(no).fill(false);
    const hypUsed = new Array<boolean>(nh).fill(false);
    if (no > 0 && nh > 0) {
      // 1. Keep the pairs of the previous frame that are still allowed.
      for (let i = 0; i < no; i++) {
        const o = objectIds[i] as TrackId;
        const prevHyp = this.#objectToHyp.get(o);
        if (prevHyp === undefined || this.#lastMatchFrame.get(o) !== frame - 1) continue;
        const j = hypothesisIds.findIndex((h, k) => !hypUsed[k] && h === prevHyp);
        if (j < 0 || !Number.isFinite(dist(i, j))) continue;
        objectUsed[i] = true;
        hypUsed[j] = true;
        this.#push(frame, 'MATCH', o, prevHyp, dist(i, j));
        this.#lastMatchFrame.set(o, frame);
        this.#hypSeen.add(prevHyp);
      }
      // 2. Assign the rest by minimum total distance.
      const costs = objectIds.map((_, i) =>
        hypothesisIds.map((__, j) => (objectUsed[i] === true || hypUsed[j] === true ? Number.NaN : dist(i, j))),
      );
      for (const { row: i, col: j } of solveAssignment(costs)) {
        const o = objectIds[i] as TrackId;
        const h = hypothesisIds[j] as TrackId;
        const d = dist(i, j);
        const prevHyp = this.#objectToHyp.get(o);
        const isSwitch = prevHyp !== undefined && prevHyp !== h;
        if (isSwitch && !this.#hypSeen.has(h)) this.#push(frame, 'ASCEND', o, h, d);
        const prevObject = this.#hypToObject.get(h);
        if (prevObject !== undefined && prevObject !== o) {
          if (!this.#lastMatchFrame.has(o)) this.#push(frame, 'MIGRATE', o, h, d);
          this.#push(frame, 'TRANSFER', o, h, d);
        }
        this.#hypSeen.add(h);
        this.#lastMatchFrame.set(o, frame);
        this.#push(frame, isSwitch ? 'SWITCH' : 'MATCH', o, h, d);
        objectUsed[i] = true;
        hypUsed[j] = true;
        this.#objectToHyp.set(o, h);
        this.#hypToObject.set(h, o);
      }
    }
    // 3. Whatever is left is missed or false.
    for (let i = 0; i < no; i++) {
      if (objectUsed[i] !== true) this.#push(frame, 'MISS', objectIds[i], undefined, Number.NaN);
    }
    for (let j = 0; j < nh; j++) {
      if (hypUsed[j] !== true) this.#push(frame, 'FP', undefined, hypothesisIds[j], Number.NaN);
    }
    this.#frames++;
    return frame;
  }

  #push(frameIndex: number, type: MotEventType, objectId: TrackId | undefined, hypothesisId: TrackId | undefined, distance: number): void {
    const e: { -readonly [K in keyof MotEvent]: MotEvent[K] } = { frameIndex, type, distance };
    if (objectId !== undefined) e.objectId = objectId;
    if (hypothesisId !== undefined) e.hypothesisId = hypothesisId;
    this.#events.push(e);
  }

  /** Per-id frame counts and per-pair counts of frames with a finite distance (the IDF1 input). */
  idCounts(): {
    objectFrames: ReadonlyMap<TrackId, number>;
    hypothesisFrames: ReadonlyMap<TrackId, number>;
    pairFrames: ReadonlyMap<TrackId, ReadonlyMap<TrackId, number>>;
  } {
    return { objectFrames: this.#objectFrames, hypothesisFrames: this.#hypFrames, pairFrames: this.#pairFrames };
  }
}

function checkUnique(ids: readonly TrackId[], what: string, frame: number): void {
  if (new Set(ids).size !== ids.length) {
    throw new InvalidEvalInputError(`each ${what} id may appear once per frame, found duplicates in [${ids.join(', ')}]`, {
      context: { frameIndex: frame },
    });
  }
}

/** CLEAR-MOT and ID metrics with py-motmetrics' names and definitions. */
export interface MotMetrics {
  readonly numFrames: number;
  readonly numMatches: number;
  readonly numSwitches: number;
  readonly numTransfer: number;
  readonly numAscend: number;
  readonly numMigrate: number;
  readonly numFalsePositives: number;
  readonly numMisses: number;
  /** Matches + switches. */
  readonly numDetections: number;
  /** Object appearances summed over frames. */
  readonly numObjects: number;
  /** Hypothesis appearances summed over frames. */
  readonly numPredictions: number;
  readonly numUniqueObjects: number;
  /** Objects tracked in ≥ 80 % of the frames they appear in. */
  readonly mostlyTracked: number;
  /** Objects tracked in [20 %, 80 %) of their frames. */
  readonly partiallyTracked: number;
  /** Objects tracked in < 20 % of their frames. */
  readonly mostlyLost: number;
  /** Interruptions (tracked → missed) inside each object's tracked span. */
  readonly numFragmentations: number;
  /** 1 − (misses + switches + FP) / objects. */
  readonly mota: number;
  /** Mean distance of matched pairs (py-motmetrics' definition, in the distance's unit). */
  readonly motp: number;
  readonly precision: number;
  readonly recall: number;
  readonly idtp: number;
  readonly idfp: number;
  readonly idfn: number;
  readonly idp: number;
  readonly idr: number;
  readonly idf1: number;
}

function quietDivide(a: number, b: number): number {
  return b === 0 ? Number.NaN : a / b;
}

interface MotCounts {
  numFrames: number;
  numMatches: number;
  numSwitches: number;
  numTransfer: number;
  numAscend: number;
  numMigrate: number;
  numFalsePositives: number;
  numMisses: number;
  numObjects: number;
  numPredictions: number;
  numUniqueObjects: number;
  mostlyTracked: number;
  partiallyTracked: number;
  mostlyLost: number;
  numFragmentations: number;
  distanceSum: number;
  idfp: number;
  idfn: number;
}

function countsOf(acc: MotAccumulator): MotCounts {
  const c: MotCounts = {
    numFrames: acc.numFrames,
    numMatches: 0,
    numSwitches: 0,
    numTransfer: 0,
    numAscend: 0,
    numMigrate: 0,
    numFalsePositives: 0,
    numMisses: 0,
    numObjects: 0,
    numPredictions: 0,
    numUniqueObjects: 0,
    mostlyTracked: 0,
    partiallyTracked: 0,
    mostlyLost: 0,
    numFragmentations: 0,
    distanceSum: 0,
    idfp: 0,
    idfn: 0,
  };
  /** Per object, its state per frame in order: true = tracked (MATCH/SWITCH), false = MISS. */
  const history = new Map<TrackId, boolean[]>();
  for (const e of acc.events) {
    switch (e.type) {
      case 'MATCH':
      case 'SWITCH':
        if (e.type === 'MATCH') c.numMatches++;
        else c.numSwitches++;
        c.distanceSum += e.distance;
        c.numObjects++;
        c.numPredictions++;
        pushHistory(history, e.objectId, true);
        break;
      case 'MISS':
        c.numMisses++;
        c.numObjects++;
        pushHistory(history, e.objectId, false);
        break;
      case 'FP':
        c.numFalsePositives++;
        c.numPredictions++;
        break;
      case 'TRANSFER':
        c.numTransfer++;
        break;
      case 'ASCEND':
        c.numAscend++;
        break;
      case 'MIGRATE':
        c.numMigrate++;
        break;
    }
  }
  c.numUniqueObjects = history.size;
  for (const states of history.values()) {
    const tracked = states.filter(Boolean).length;
    const ratio = tracked / states.length;
    if (ratio >= 0.8) c.mostlyTracked++;
    else if (ratio >= 0.2) c.partiallyTracked++;
    else c.mostlyLost++;
    const first = states.indexOf(true);
    const last = states.lastIndexOf(true);
    for (let k = first + 1; first >= 0 && k <= last; k++) {
      if (states[k] === false && states[k - 1] === true) c.numFragmentations++;
    }
  }
  const { idfp, idfn } = idGlobalAssignment(acc);
  c.idfp = idfp;
  c.idfn = idfn;
  return c;
}

function pushHistory(history: Map<TrackId, boolean[]>, id: TrackId | undefined, tracked: boolean): void {
  if (id === undefined) return;
  const list = history.get(id);
  if (list === undefined) history.set(id, [tracked]);
  else list.push(tracked);
}

/**
 * Global min-cost bipartite matching of object ids ↔ hypothesis ids over the whole sequence (IDF1,
 * Ristani et al. 2016, as py-motmetrics builds it): each object and hypothesis also has its own dummy
 * partner; the cost of a real pair is the frames either one is present without the other being
 * within distance (its ID false negatives + false positives).
 */
function idGlobalAssignment(acc: MotAccumulator): { idfp: number; idfn: number } {
  const { objectFrames, hypothesisFrames, pairFrames } = acc.idCounts();
  // An id that never came within distance of any partner can only go to its dummy: its frames are all
  // ID misses (objects) or ID false positives (hypotheses). Leaving such ids out of the matrix gives the
  // same optimum and keeps the O(n³) assignment small when a tracker sprays short-lived clutter tracks.
  const pairedHyps = new Set<TrackId>();
  for (const row of pairFrames.values()) for (const h of row.keys()) pairedHyps.add(h);
  let idfp = 0;
  let idfn = 0;
  const oids: TrackId[] = [];
  for (const [o, count] of objectFrames) {
    if (pairFrames.has(o)) oids.push(o);
    else idfn += count;
  }
  const hids: TrackId[] = [];
  for (const [h, count] of hypothesisFrames) {
    if (pairedHyps.has(h)) hids.push(h);
    else idfp += count;
  }
  const no = oids.length;
  const nh = hids.length;
  const n = no + nh;
  if (n === 0) return { idfp, idfn };
  const fp: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const fn: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let r = no; r < n; r++) for (let col = 0; col < nh; col++) (fp[r] as number[])[col] = Number.NaN;
  for (let r = 0; r < no; r++) for (let col = nh; col < n; col++) (fn[r] as number[])[col] = Number.NaN;
  oids.forEach((o, r) => {
    const oc = objectFrames.get(o) ?? 0;
    const row = fn[r] as number[];
    for (let col = 0; col < nh; col++) row[col] = oc;
    row[nh + r] = oc;
  });
  hids.forEach((h, col) => {
    const hc = hypothesisFrames.get(h) ?? 0;
    for (let r = 0; r < no; r++) (fp[r] as number[])[col] = hc;
    (fp[col + no] as number[])[col] = hc;
  });
  oids.forEach((o, r) => {
    const pairs = pairFrames.get(o);
    if (pairs === undefined) return;
    hids.forEach((h, col) => {
      const ex = pairs.get(h) ?? 0;
      (fp[r] as number[])[col] = ((fp[r] as number[])[col] ?? 0) - ex;
      (fn[r] as number[])[col] = ((fn[r] as number[])[col] ?? 0) - ex;
    });
  });
  const costs = fp.map((row, r) => row.map((v, col) => v + ((fn[r] as number[])[col] ?? 0)));
  for (const { row, col } of solveAssignment(costs)) {
    idfp += (fp[row] as number[])[col] ?? 0;
    idfn += (fn[row] as number[])[col] ?? 0;
  }
  return { idfp, idfn };
}

function metricsFromCounts(c: MotCounts): MotMetrics {
  const numDetections = c.numMatches + c.numSwitches;
  const idtp = c.numObjects - c.idfn;
  return {
    numFrames: c.numFrames,
    numMatches: c.numMatches,
    numSwitches: c.numSwitches,
    numTransfer: c.numTransfer,
    numAscend: c.numAscend,
    numMigrate: c.numMigrate,
    numFalsePositives: c.numFalsePositives,
    numMisses: c.numMisses,
    numDetections,
    numObjects: c.numObjects,
    numPredictions: c.numPredictions,
    numUniqueObjects: c.numUniqueObjects,
    mostlyTracked: c.mostlyTracked,
    partiallyTracked: c.partiallyTracked,
    mostlyLost: c.mostlyLost,
    numFragmentations: c.numFragmentations,
    mota: 1 - quietDivide(c.numMisses + c.numSwitches + c.numFalsePositives, c.numObjects),
    motp: quietDivide(c.distanceSum, numDetections),
    precision: quietDivide(numDetections, c.numFalsePositives + numDetections),
    recall: quietDivide(numDetections, c.numObjects),
    idtp,
    idfp: c.idfp,
    idfn: c.idfn,
    idp: quietDivide(idtp, idtp + c.idfp),
    idr: quietDivide(idtp, idtp + c.idfn),
    idf1: quietDivide(2 * idtp, c.numObjects + c.numPredictions),
  };
}

/**
 * Metrics of one sequence, or of several sequences jointly (py-motmetrics' OVERALL row: counts are
 * summed over sequences, ids of different sequences never match each other, ratios recomputed).
 */
export function computeMotMetrics(accumulators: MotAccumulator | readonly MotAccumulator[]): MotMetrics {
  const list = accumulators instanceof MotAccumulator ? [accumulators] : accumulators;
  const total = list.map(countsOf).reduce<MotCounts | undefined>((a, b) => {
    if (a === undefined) return { ...b };
    for (const k of Object.keys(b) as (keyof MotCounts)[]) a[k] += b[k];
    return a;
  }, undefined);
  if (total === undefined) return metricsFromCounts(countsOf(new MotAccumulator()));
  return metricsFromCounts(total);
}

/** A truth object or a track at one frame, on the ground plane. */
export interface TrackedPoint {
  readonly id: TrackId;
  readonly x: number;
  readonly y: number;
}

export interface TrackingFrame {
  readonly truth: readonly TrackedPoint[];
  readonly tracks: readonly TrackedPoint[];
}

/**
 * CLEAR-MOT and IDF1 of a sequence of frames with Euclidean ground-plane distances: a pair farther
 * apart than `maxDistanceM` cannot match. MOTP is then the mean centre distance in metres.
 */
export function evaluateTracking(frames: readonly TrackingFrame[], options: { maxDistanceM: number }): MotMetrics {
  const acc = new MotAccumulator();
  for (const f of frames) {
    acc.update(
      f.truth.map((t) => t.id),
      f.tracks.map((t) => t.id),
      f.truth.map((t) =>
        f.tracks.map((h) => {
          const d = Math.hypot(t.x - h.x, t.y - h.y);
          return d > options.maxDistanceM ? Number.NaN : d;
        }),
      ),
    );
  }
  return computeMotMetrics(acc);
}
