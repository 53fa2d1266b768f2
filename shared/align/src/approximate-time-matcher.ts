/**
 * Pure core of the approximate-time policy: the semantics of ROS message_filters ApproximateTime
 * (each emitted set has minimal span among the sets still possible, no two emitted sets cross, a set
 * is emitted as soon as its optimality is proven — with per-input inter-message lower bounds used to
 * prove it early). Written from the published algorithm description; items must arrive in time order
 * per input (the operator enforces that and reports the rest as late).
 */
export interface MatcherItem {
  readonly timeUs: number;
}

export type MatcherDropReason = 'superseded' | 'max-interval' | 'unreliable-pivot' | 'queue-size';

export interface MatcherConfig {
  readonly inputCount: number;
  /** Per-input cap on queued records (ROS queue_size). Overflow drops the oldest of that input. */
  readonly queueSize: number;
  /** Sets wider than this are never emitted. */
  readonly maxIntervalUs: number;
  /** Penalty on waiting: a later candidate must be tighter by a factor (1 + agePenalty) to win. */
  readonly agePenalty: number;
  /** Per input: records are at least this far apart (0 = unknown). */
  readonly interMessageLowerBoundsUs: readonly number[];
}

export interface MatcherSink<T extends MatcherItem> {
  emit(set: readonly T[]): void;
  drop(input: number, item: T, reason: MatcherDropReason): void;
}

const NO_PIVOT = -1;

export class ApproximateTimeMatcher<T extends MatcherItem> {
  private readonly n: number;
  private readonly queues: T[][];
  private readonly past: T[][];
  private nonEmpty = 0;
  private candidate: T[] | undefined;
  private candidateStartUs = 0;
  private candidateEndUs = 0;
  private pivot = NO_PIVOT;
  private pivotTimeUs = 0;
  private readonly hasDropped: boolean[];
  private readonly factor: number;

  constructor(
    private readonly config: MatcherConfig,
    private readonly sink: MatcherSink<T>,
  ) {
    this.n = config.inputCount;
    this.queues = Array.from({ length: this.n }, () => []);
    this.past = Array.from({ length: this.n }, () => []);
    this.hasDropped = new Array<boolean>(this.n).fill(false);
    this.factor = 1 + config.agePenalty;
  }

  /** Records currently held (queued or provisionally passed over). */
  heldCount(): number {
    let total = 0;
    for (let i = 0; i < this.n; i += 1) total += this.q(i).length + this.p(i).length;
    return total;
  }

  add(input: number, item: T): void {
    const queue = this.q(input);
    queue.push(item);
    if (queue.length === 1) {
      this.nonEmpty += 1;
      if (this.nonEmpty === this.n) this.process();
    }
    if (queue.length + this.p(input).length > this.config.queueSize) {
      // Abandon the candidate search in progress, then drop the oldest record of this input.
      this.recoverAll();
      const dropped = queue.shift();
      if (dropped !== undefined) this.sink.drop(input, dropped, 'queue-size');
      this.recount();
      this.hasDropped[input] = true;
      if (this.pivot !== NO_PIVOT) {
        this.candidate = undefined;
        this.pivot = NO_PIVOT;
        this.process();
      }
    }
  }

  /** Forget everything of one input (replay loop). The candidate in progress is abandoned. */
  resetInput(input: number): void {
    this.recoverAll();
    this.candidate = undefined;
    this.pivot = NO_PIVOT;
    this.q(input).length = 0;
    this.hasDropped[input] = false;
    this.recount();
  }

  private q(i: number): T[] {
    return this.queues[i] ?? [];
  }

  private p(i: number): T[] {
    return this.past[i] ?? [];
  }

  private recount(): void {
    this.nonEmpty = 0;
    for (let i = 0; i < this.n; i += 1) if (this.q(i).length > 0) this.nonEmpty += 1;
  }

  /** Puts every provisionally passed-over record back at the head of its queue. */
  private recoverAll(): void {
    for (let i = 0; i < this.n; i += 1) {
      const past = this.p(i);
      if (past.length > 0) {
        this.q(i).unshift(...past);
        past.length = 0;
      }
    }
    this.recount();
  }

  private recoverSome(counts: readonly number[]): void {
    for (let i = 0; i < this.n; i += 1) {
      const k = counts[i] ?? 0;
      if (k > 0) this.q(i).unshift(...this.p(i).splice(this.p(i).length - k, k));
    }
    this.recount();
  }

  private head(i: number): number {
    return this.q(i)[0]?.timeUs ?? Number.NaN;
  }

  private deleteFront(i: number, reason: MatcherDropReason): void {
    const item = this.q(i).shift();
    if (item !== undefined) this.sink.drop(i, item, reason);
    if (this.q(i).length === 0) this.nonEmpty -= 1;
  }

  private moveFrontToPast(i: number): void {
    const item = this.q(i).shift();
    if (item !== undefined) this.p(i).push(item);
    if (this.q(i).length === 0) this.nonEmpty -= 1;
  }

  private makeCandidate(): void {
    this.candidate = this.queues.map((queue) => queue[0] as T);
    // Records passed over before this better candidate can no longer be part of an emitted set.
    for (let i = 0; i < this.n; i += 1) {
      for (const item of this.p(i)) this.sink.drop(i, item, 'superseded');
      this.p(i).length = 0;
    }
  }

  private publish(): void {
    const set = this.candidate;
    this.candidate = undefined;
    this.pivot = NO_PIVOT;
    this.recoverAll();
    // The candidate's members are now at the head of every queue.
    for (let i = 0; i < this.n; i += 1) this.q(i).shift();
    this.recount();
    if (set !== undefined) this.sink.emit(set);
  }

  /** Smallest head time (first input on ties) and largest (last input on ties). */
  private bounds(times: (i: number) => number): { startIndex: number; startUs: number; endIndex: number; endUs: number } {
    let startIndex = 0;
    let endIndex = 0;
    let startUs = times(0);
    let endUs = startUs;
    for (let i = 1; i < this.n; i += 1) {
      const t = times(i);
      if (t < startUs) {
        startUs = t;
        startIndex = i;
      }
      if (t >= endUs) {
        endUs = t;
        endIndex = i;
      }
    }
    return { startIndex, startUs, endIndex, endUs };
  }

  private virtualTime(i: number): number {
    const queue = this.q(i);
    const first = queue[0];
    if (first !== undefined) return first.timeUs;
    const last = this.p(i).at(-1);
    const lowerBoundUs = (last?.timeUs ?? this.pivotTimeUs) + (this.config.interMessageLowerBoundsUs[i] ?? 0);
    return Math.max(lowerBoundUs, this.pivotTimeUs);
  }

  private process(): void {
    while (this.nonEmpty === this.n) {
      const { startIndex, startUs, endIndex, endUs } = this.bounds((i) => this.head(i));
      for (let i = 0; i < this.n; i += 1) if (i !== endIndex) this.hasDropped[i] = false;
      if (this.pivot === NO_PIVOT) {
        if (endUs - startUs > this.config.maxIntervalUs) {
          this.deleteFront(startIndex, 'max-interval');
          continue;
        }
        if (this.hasDropped[endIndex] === true) {
          // A record of the would-be pivot input was dropped: a better set may have been lost.
          this.deleteFront(startIndex, 'unreliable-pivot');
          continue;
        }
        this.makeCandidate();
        this.candidateStartUs = startUs;
        this.candidateEndUs = endUs;
        this.pivot = endIndex;
        this.pivotTimeUs = endUs;
        this.moveFrontToPast(startIndex);
      } else if ((endUs - this.candidateEndUs) * this.factor >= startUs - this.candidateStartUs) {
        this.moveFrontToPast(startIndex);
      } else {
        this.makeCandidate();
        this.candidateStartUs = startUs;
        this.candidateEndUs = endUs;
        this.moveFrontToPast(startIndex);
      }
      const ageUs = (endUs - this.candidateEndUs) * this.factor;
      if (startIndex === this.pivot || ageUs >= this.pivotTimeUs - this.candidateStartUs) {
        // Either every candidate for this pivot was examined, or any later one spans more.
        this.publish();
      } else if (this.nonEmpty < this.n) {
        this.proveWithBounds();
      }
    }
  }

  /** Optimistic look-ahead using the declared inter-message bounds; publishes when optimality is proven. */
  private proveWithBounds(): void {
    const moves = new Array<number>(this.n).fill(0);
    for (;;) {
      const { startIndex, startUs, endUs } = this.bounds((i) => this.virtualTime(i));
      const ageUs = (endUs - this.candidateEndUs) * this.factor;
      if (ageUs >= this.pivotTimeUs - this.candidateStartUs) {
        this.publish();
        return;
      }
      if (ageUs < startUs - this.candidateStartUs || this.q(startIndex).length === 0) {
        this.recoverSome(moves);
        return;
      }
      this.moveFrontToPast(startIndex);
      moves[startIndex] = (moves[startIndex] ?? 0) + 1;
    }
  }
}
