import { BoundedBuffer, type BufferedRecord } from './bounded-buffer.js';
import type { AlignDiagnostics } from './diagnostics.js';
import { InputTracker, type StreamConfig } from './input-tracker.js';
import { rigTimeUs, type ClockOffsets, type SensorRecord } from './types.js';

/** How a non-reference input contributes to a frame. */
export type SelectRule = 'nearest' | 'overlapping' | 'interpolate';

export interface PivotInputConfig<P> extends StreamConfig {
  readonly name: string;
  readonly select: SelectRule;
  /** Expected capture time of this input relative to the pivot (e.g. a LIDAR whose sweep starts 40 ms later). */
  readonly offsetUs?: number;
  /** Half-width of the match window around pivot + offsetUs. */
  readonly matchWindowUs: number;
  /** Processing time after a collector opens before it stops waiting for this input. Default: no timeout. */
  readonly timeoutUs?: number;
  /** Processing time of silence after which this input stops holding frames back. Default: never idle. */
  readonly idleTimeoutUs?: number;
  /** Records buffered for this input; overflow evicts the oldest. Default 1024. */
  readonly maxRecords?: number;
  /** Bytes buffered for this input (sum of byteLength). Default 256 MiB. */
  readonly maxBytes?: number;
  /** For select 'interpolate': payload at `fraction` between two bracketing samples. */
  readonly interpolate?: (before: SensorRecord<P>, after: SensorRecord<P>, fraction: number) => P;
  /**
   * For select 'interpolate': 'input' (default) treats every record of the input as one stream;
   * 'sensor' keeps one stream per sensorId (several device sensors on one input) and interpolates each
   * at the target separately (the member's `sensors`).
   */
  readonly groupBy?: 'input' | 'sensor';
  /**
   * 'always' (default): every collector waits for this input (until its watermark, timeout or
   * idleness). 'once-seen': an optional input: until its first record arrives, collectors do not wait
   * for it at all (resolved at once as missing), so a stream that is not deployed never delays frames.
   */
  readonly holdFrames?: 'always' | 'once-seen';
}

export interface PivotConfig extends StreamConfig {
  /** The reference input (LIDAR by default in the pipeline): one collector per record. */
  readonly name: string;
  readonly idleTimeoutUs?: number;
}

export interface PivotAlignConfig<P> {
  readonly pivot: PivotConfig;
  readonly inputs: readonly PivotInputConfig<P>[];
  readonly clockOffsetsUs?: ClockOffsets;
  /** Collectors open at once; overflow closes the oldest as it is. Default 64. */
  readonly maxOpenCollectors?: number;
  readonly diagnostics?: AlignDiagnostics;
  /**
   * What `timeoutUs` and `idleTimeoutUs` measure. 'processing' (default): the injected scheduler's
   * clock, so a slow input is given up on after that much real time. 'event': event time, so the
   * frames depend only on the records and not on when they were processed (replays, regression runs):
   * the clock is the oldest newest-capture-time among the inputs (one that has not spoken stands at the
   * first record's time; an input more than its `idleTimeoutUs` behind the newest input, and a
   * `holdFrames: 'once-seen'` input before its first record, do not hold it back), a collector's timeouts run from
   * its pivot time, and the scheduler is not read. Frames then close by watermark, by an input's
   * timeout once every live input has passed pivot + `timeoutUs`, by idleness, or at the end.
   */
  readonly time?: 'processing' | 'event';
}

export type Presence = 'present' | 'missing' | 'late';
/** Why an input stopped being waited for in a frame. */
export type ClosedBy = 'watermark' | 'timeout' | 'idle' | 'reset' | 'evicted' | 'end-of-stream';

export interface AlignedSample<P> {
  readonly record: SensorRecord<P>;
  /** Rig time (capture time plus the sensor's clock offset). */
  readonly timeUs: number;
  /** timeUs − pivot time. */
  readonly offsetFromPivotUs: number;
}

/** One stream interpolated at the target time (the whole input, or one sensor of it). */
export interface Interpolation<P> {
  /** 'interpolated' between before and after, or 'held': only one sample in the window, used as is. */
  readonly method: 'interpolated' | 'held';
  readonly before: AlignedSample<P> | undefined;
  readonly after: AlignedSample<P> | undefined;
  /** Position of the target between before (0) and after (1). */
  readonly fraction: number;
  readonly timeUs: number;
  readonly offsetFromPivotUs: number;
  readonly value: P;
}

export type FrameMember<P> =
  | ({ readonly select: 'nearest' } & AlignedSample<P>)
  | { readonly select: 'overlapping'; readonly samples: readonly AlignedSample<P>[] }
  | ({
      readonly select: 'interpolate';
      /**
       * groupBy 'sensor' only: one interpolation per sensorId that had a sample in the window, sorted by
       * sensorId; the member's own fields repeat the first of them (for readers of a single value).
       */
      readonly sensors?: readonly ({ readonly sensorId: string } & Interpolation<P>)[];
    } & Interpolation<P>);

export interface AlignedFrame<P> {
  readonly pivotInput: string;
  readonly pivot: SensorRecord<P>;
  readonly pivotTimeUs: number;
  readonly members: Readonly<Record<string, FrameMember<P> | undefined>>;
  /**
   * Per input (pivot included): present (a member was selected); missing (nothing in the window: a gap,
   * an idle or dead input, or one that never sent anything); late (nothing yet: the input is alive but
   * its records had not reached the window when its timeout fired).
   */
  readonly presence: Readonly<Record<string, Presence>>;
  readonly closedBy: Readonly<Record<string, ClosedBy>>;
  /** True when every input is present. */
  readonly complete: boolean;
  /** Processing times (µs) from the scheduler. */
  readonly openedAtUs: number;
  readonly emittedAtUs: number;
}

/** Clock and timers, provided by the operator from its SchedulerLike. */
export interface TimerPort {
  nowUs(): number;
  /** Runs fn after delayUs of processing time; returns a cancel function. */
  after(delayUs: number, fn: () => void): () => void;
  /** Event-time clocks only: move the clock to timeUs and run what fell due (config `time: 'event'`). */
  advanceTo?(timeUs: number): void;
}

interface Resolution<P> {
  readonly closedBy: ClosedBy;
  readonly member: FrameMember<P> | undefined;
}

interface Collector<P> {
  readonly pivot: SensorRecord<P>;
  readonly pivotTimeUs: number;
  readonly openedAtUs: number;
  readonly resolved: (Resolution<P> | undefined)[];
  unresolved: number;
  cancelTimer: (() => void) | undefined;
}

interface InputState<P> {
  readonly config: PivotInputConfig<P>;
  readonly tracker: InputTracker;
  readonly buffer: BoundedBuffer<P>;
  readonly offsetUs: number;
  readonly windowUs: number;
  readonly timeoutUs: number;
  idle: boolean;
  lastArrivalUs: number;
  cancelIdle: (() => void) | undefined;
  /** Window end of the newest frame emitted while this input had timed out. */
  timedOutUpToUs: number;
}

const DEFAULT_RESET_US = 1_000_000;

/**
 * Pure core of the pivot policy (Autoware-style collectors in event time). The operator
 * `alignByPivot` feeds it records and gives it a clock; it calls `emit` with frames in pivot order.
 */
export class PivotAligner<P> {
  private readonly inputs: InputState<P>[];
  private readonly indexOf = new Map<string, number>();
  private readonly pivotTracker: InputTracker;
  private readonly collectors: Collector<P>[] = [];
  private readonly maxCollectors: number;
  private lastEmittedPivotUs = Number.NEGATIVE_INFINITY;
  private pivotIdle = false;
  private pivotLastArrivalUs: number;
  private cancelPivotIdle: (() => void) | undefined;
  private closed = false;
  /** Clock reading at construction (event time: the first record's rig time). */
  private readonly startUs: number;

  constructor(
    private readonly config: PivotAlignConfig<P>,
    private readonly timer: TimerPort,
    private readonly diagnostics: AlignDiagnostics,
    private readonly emit: (frame: AlignedFrame<P>) => void,
  ) {
    this.maxCollectors = config.maxOpenCollectors ?? 64;
    this.pivotTracker = new InputTracker({ resetOnBackwardJumpUs: DEFAULT_RESET_US, ...config.pivot });
    const now = timer.nowUs();
    this.startUs = now;
    this.pivotLastArrivalUs = now;
    this.inputs = config.inputs.map((c, i) => {
      if (c.name === config.pivot.name || this.indexOf.has(c.name)) {
        throw new RangeError(`alignByPivot: input name "${c.name}" is used twice`);
      }
      this.indexOf.set(c.name, i);
      if (c.groupBy === 'sensor' && c.select !== 'interpolate') {
        throw new RangeError(`alignByPivot: input "${c.name}": groupBy 'sensor' needs select 'interpolate', found '${c.select}'`);
      }
      const state: InputState<P> = {
        config: c,
        tracker: new InputTracker({ resetOnBackwardJumpUs: DEFAULT_RESET_US, ...c }),
        buffer: new BoundedBuffer<P>(
          { maxRecords: c.maxRecords ?? 1024, maxBytes: c.maxBytes ?? 256 * 1024 * 1024 },
          (item: BufferedRecord<P>, reason) => {
            this.diagnostics.emit({ type: 'align.evicted', input: c.name, reason, record: item.record, atUs: this.timer.nowUs() });
          },
        ),
        offsetUs: c.offsetUs ?? 0,
        windowUs: c.matchWindowUs,
        timeoutUs: c.timeoutUs ?? Number.POSITIVE_INFINITY,
        idle: false,
        lastArrivalUs: now,
        cancelIdle: undefined,
        timedOutUpToUs: Number.NEGATIVE_INFINITY,
      };
      return state;
    });
    this.armPivotIdle();
    for (let j = 0; j < this.inputs.length; j += 1) this.armIdle(j);
  }

  /** Open collectors (for tests and the benchmark). */
  openCollectors(): number {
    return this.collectors.length;
  }

  bufferedRecords(): number {
    return this.inputs.reduce((n, s) => n + s.buffer.size, 0);
  }

  push(input: string, record: SensorRecord<P>): void {
    if (this.closed) return;
    if (input === this.config.pivot.name) this.pushPivot(record);
    else {
      const j = this.indexOf.get(input);
      if (j === undefined) {
        throw new RangeError(
          `alignByPivot: unknown input "${input}", expected ${[this.config.pivot.name, ...this.indexOf.keys()].join(', ')}`,
        );
      }
      this.pushMember(j, record);
    }
    this.advanceEventTime();
    this.emitReady();
    this.prune();
  }

  /** In event-time mode, the arrival "time" of a record is its own rig time (never the scheduler's). */
  private get eventTime(): boolean {
    return this.config.time === 'event';
  }

  /**
   * Event-time mode: the clock is the oldest newest-time among the inputs that have spoken, leaving out
   * those more than their idle timeout behind the newest input (a dead stream must not stop time).
   */
  private advanceEventTime(): void {
    if (!this.eventTime || this.timer.advanceTo === undefined) return;
    // An input that has not spoken yet counts as standing at the start (the first record's time).
    const since = (newestUs: number) => (newestUs === Number.NEGATIVE_INFINITY ? this.startUs : newestUs);
    const streams: { newestUs: number; idleUs: number }[] = [
      { newestUs: since(this.pivotTracker.newestUs), idleUs: this.config.pivot.idleTimeoutUs ?? Number.POSITIVE_INFINITY },
      ...this.inputs
        .filter((s) => s.config.holdFrames !== 'once-seen' || s.tracker.newestUs > Number.NEGATIVE_INFINITY)
        .map((s) => ({ newestUs: since(s.tracker.newestUs), idleUs: s.config.idleTimeoutUs ?? Number.POSITIVE_INFINITY })),
    ];
    const newestUs = Math.max(...streams.map((s) => s.newestUs));
    let clockUs = Number.POSITIVE_INFINITY;
    for (const s of streams) if (s.newestUs >= newestUs - s.idleUs) clockUs = Math.min(clockUs, s.newestUs);
    this.timer.advanceTo(clockUs);
  }

  /** End of input: the watermark of every input is +∞, so every open collector resolves now. */
  finish(): void {
    for (const c of this.collectors) {
      for (let j = 0; j < this.inputs.length; j += 1) if (c.resolved[j] === undefined) this.resolve(c, j, 'end-of-stream');
    }
    this.emitReady();
    this.dispose();
  }

  dispose(): void {
    this.closed = true;
    for (const c of this.collectors) c.cancelTimer?.();
    this.collectors.length = 0;
    this.cancelPivotIdle?.();
    for (const s of this.inputs) {
      s.cancelIdle?.();
      s.buffer.clear();
    }
  }

  // ---- pivot -------------------------------------------------------------------------------

  private pushPivot(record: SensorRecord<P>): void {
    const name = this.config.pivot.name;
    const timeUs = rigTimeUs(record, this.config.clockOffsetsUs);
    const atUs = this.timer.nowUs();
    this.pivotLastArrivalUs = this.eventTime ? Math.max(this.pivotLastArrivalUs, timeUs) : atUs;
    if (this.pivotIdle) {
      this.pivotIdle = false;
      this.diagnostics.emit({ type: 'align.active', input: name, atUs });
    }
    if (this.cancelPivotIdle === undefined) this.armPivotIdle();
    const verdict = this.pivotTracker.classify(record, timeUs);
    if (verdict === 'duplicate') {
      this.diagnostics.emit({ type: 'align.duplicate', input: name, record, atUs });
      return;
    }
    if (verdict === 'late') {
      this.diagnostics.emit({
        type: 'align.late', input: name, record, reason: 'behind-watermark', watermarkUs: this.pivotTracker.watermarkUs(), atUs,
      });
      return;
    }
    if (verdict === 'reset') {
      this.diagnostics.emit({
        type: 'align.reset', input: name, sensorId: record.sensorId, fromUs: this.pivotTracker.lastResetFromUs, toUs: timeUs, atUs,
      });
      // Close everything opened before the jump as it is; frames after the jump start afresh.
      for (const c of this.collectors) {
        for (let j = 0; j < this.inputs.length; j += 1) if (c.resolved[j] === undefined) this.resolve(c, j, 'reset');
      }
      this.emitReady();
      this.lastEmittedPivotUs = Number.NEGATIVE_INFINITY;
    } else if (timeUs < this.lastEmittedPivotUs) {
      this.diagnostics.emit({
        type: 'align.late', input: name, record, reason: 'after-release', watermarkUs: this.lastEmittedPivotUs, atUs,
      });
      return;
    }
    // Event time: a collector opens at its own pivot time, so its timeouts do not depend on arrival order.
    this.open(record, timeUs, this.eventTime ? timeUs : atUs);
  }

  private open(pivot: SensorRecord<P>, pivotTimeUs: number, atUs: number): void {
    const c: Collector<P> = {
      pivot,
      pivotTimeUs,
      openedAtUs: atUs,
      resolved: new Array<Resolution<P> | undefined>(this.inputs.length).fill(undefined),
      unresolved: this.inputs.length,
      cancelTimer: undefined,
    };
    let i = this.collectors.length;
    while (i > 0 && (this.collectors[i - 1]?.pivotTimeUs ?? 0) > pivotTimeUs) i -= 1;
    this.collectors.splice(i, 0, c);
    for (let j = 0; j < this.inputs.length; j += 1) {
      this.check(c, j);
      const s = this.inputs[j];
      const neverSeen = s?.config.holdFrames === 'once-seen' && s.tracker.newestUs === Number.NEGATIVE_INFINITY;
      if (c.resolved[j] === undefined && (s?.idle === true || neverSeen)) this.resolve(c, j, 'idle');
    }
    this.armTimeout(c);
    while (this.collectors.length > this.maxCollectors) {
      const oldest = this.collectors[0];
      if (oldest === undefined) break;
      this.diagnostics.emit({ type: 'align.evicted', input: this.config.pivot.name, reason: 'max-collectors', record: oldest.pivot, atUs });
      for (let j = 0; j < this.inputs.length; j += 1) if (oldest.resolved[j] === undefined) this.resolve(oldest, j, 'evicted');
      this.emitReady();
    }
  }

  // ---- members -----------------------------------------------------------------------------

  private pushMember(j: number, record: SensorRecord<P>): void {
    const s = this.inputs[j];
    if (s === undefined) return;
    const name = s.config.name;
    const timeUs = rigTimeUs(record, this.config.clockOffsetsUs);
    const atUs = this.timer.nowUs();
    s.lastArrivalUs = this.eventTime ? Math.max(s.lastArrivalUs, timeUs) : atUs;
    if (s.idle) {
      s.idle = false;
      this.diagnostics.emit({ type: 'align.active', input: name, atUs });
    }
    if (s.cancelIdle === undefined) this.armIdle(j);
    const verdict = s.tracker.classify(record, timeUs);
    switch (verdict) {
      case 'duplicate':
        this.diagnostics.emit({ type: 'align.duplicate', input: name, record, atUs });
        return;
      case 'late':
        this.diagnostics.emit({
          type: 'align.late', input: name, record, reason: 'behind-watermark', watermarkUs: s.tracker.watermarkUs(), atUs,
        });
        return;
      case 'reset':
        this.diagnostics.emit({
          type: 'align.reset', input: name, sensorId: record.sensorId, fromUs: s.tracker.lastResetFromUs, toUs: timeUs, atUs,
        });
        s.buffer.clear();
        s.timedOutUpToUs = Number.NEGATIVE_INFINITY;
        // Collectors from before the loop will never see this input again; those opened after the
        // pivot looped back (their window is near the new time) keep waiting for it.
        for (const c of this.collectors) {
          if (c.resolved[j] === undefined && c.pivotTimeUs + s.offsetUs - s.windowUs - timeUs > s.tracker.resetThresholdUs) {
            this.resolve(c, j, 'reset');
          }
        }
        break;
      case 'accepted':
        if (timeUs <= s.timedOutUpToUs) {
          // A frame that needed this record was already emitted without it.
          this.diagnostics.emit({ type: 'align.late', input: name, record, reason: 'after-timeout', watermarkUs: s.timedOutUpToUs, atUs });
        }
        break;
    }
    s.buffer.insert(record, timeUs);
    for (const c of this.collectors) if (c.resolved[j] === undefined) this.check(c, j);
  }

  /** Resolves input j of collector c if no future record can change its member. */
  private check(c: Collector<P>, j: number): void {
    const s = this.inputs[j];
    if (s === undefined) return;
    const watermarkUs = s.tracker.watermarkUs();
    const targetUs = c.pivotTimeUs + s.offsetUs;
    const hiUs = targetUs + s.windowUs;
    // An input further ahead than a reset jump is about to loop back too (replay): wait for it.
    if (s.tracker.newestUs - hiUs > s.tracker.resetThresholdUs) return;
    if (watermarkUs > hiUs) {
      this.resolve(c, j, 'watermark');
      return;
    }
    const items = s.buffer.items;
    if (s.config.select === 'nearest') {
      const best = this.nearest(s, targetUs);
      if (best !== undefined && watermarkUs >= targetUs + Math.abs(best.timeUs - targetUs)) this.resolve(c, j, 'watermark');
    } else if (s.config.select === 'interpolate' && s.config.groupBy === 'sensor') {
      if (this.everySensorBracketed(s, targetUs, hiUs, watermarkUs)) this.resolve(c, j, 'watermark');
    } else if (s.config.select === 'interpolate') {
      const after = items[s.buffer.lowerBound(targetUs)];
      if (after !== undefined && after.timeUs <= hiUs && watermarkUs >= after.timeUs) this.resolve(c, j, 'watermark');
    }
  }

  /**
   * groupBy 'sensor': every sensor with a record at or after the window start has one in
   * [target, window end] that the watermark has passed, so no sensor's bracket can change. A sensor
   * with nothing from the window start on is not waited for (silent, or slower than the window).
   */
  private everySensorBracketed(s: InputState<P>, targetUs: number, hiUs: number, watermarkUs: number): boolean {
    const items = s.buffer.items;
    const loUs = targetUs - s.windowUs;
    const bracketed = new Set<string>();
    const seen = new Set<string>();
    for (let i = s.buffer.lowerBound(loUs); i < items.length; i += 1) {
      const item = items[i];
      if (item === undefined) break;
      const id = item.record.sensorId;
      seen.add(id);
      if (item.timeUs >= targetUs && item.timeUs <= hiUs && watermarkUs >= item.timeUs) bracketed.add(id);
    }
    return seen.size > 0 && bracketed.size === seen.size;
  }

  private nearest(s: InputState<P>, targetUs: number): BufferedRecord<P> | undefined {
    const items = s.buffer.items;
    const i = s.buffer.lowerBound(targetUs);
    const after = items[i];
    const before = items[i - 1];
    const okAfter = after !== undefined && after.timeUs - targetUs <= s.windowUs ? after : undefined;
    const okBefore = before !== undefined && targetUs - before.timeUs <= s.windowUs ? before : undefined;
    if (okAfter === undefined) return okBefore;
    if (okBefore === undefined) return okAfter;
    return targetUs - okBefore.timeUs <= okAfter.timeUs - targetUs ? okBefore : okAfter; // ties: the earlier
  }

  private sample(item: BufferedRecord<P>, pivotTimeUs: number): AlignedSample<P> {
    return { record: item.record, timeUs: item.timeUs, offsetFromPivotUs: item.timeUs - pivotTimeUs };
  }

  private select(c: Collector<P>, j: number): FrameMember<P> | undefined {
    const s = this.inputs[j];
    if (s === undefined) return undefined;
    const targetUs = c.pivotTimeUs + s.offsetUs;
    const loUs = targetUs - s.windowUs;
    const hiUs = targetUs + s.windowUs;
    const items = s.buffer.items;
    switch (s.config.select) {
      case 'nearest': {
        const best = this.nearest(s, targetUs);
        return best === undefined ? undefined : { select: 'nearest', ...this.sample(best, c.pivotTimeUs) };
      }
      case 'overlapping': {
        const samples: AlignedSample<P>[] = [];
        for (const item of items) {
          if (item.timeUs > hiUs) break;
          if (item.endUs >= loUs) samples.push(this.sample(item, c.pivotTimeUs));
        }
        return samples.length === 0 ? undefined : { select: 'overlapping', samples };
      }
      case 'interpolate': {
        if (s.config.groupBy === 'sensor') return this.selectPerSensor(s, c.pivotTimeUs);
        const i = s.buffer.lowerBound(targetUs);
        const a = items[i];
        const b = items[i - 1];
        const after = a !== undefined && a.timeUs <= hiUs ? this.sample(a, c.pivotTimeUs) : undefined;
        const before = b !== undefined && b.timeUs >= loUs ? this.sample(b, c.pivotTimeUs) : undefined;
        const base = { select: 'interpolate' as const, timeUs: targetUs, offsetFromPivotUs: s.offsetUs };
        if (after !== undefined && after.timeUs === targetUs) {
          return { ...base, method: 'interpolated', before, after, fraction: 1, value: after.record.payload };
        }
        if (before !== undefined && after !== undefined && s.config.interpolate !== undefined) {
          const fraction = (targetUs - before.timeUs) / (after.timeUs - before.timeUs);
          const value = s.config.interpolate(before.record, after.record, fraction);
          return { ...base, method: 'interpolated', before, after, fraction, value };
        }
        const held = before ?? after;
        if (held === undefined) return undefined;
        return { ...base, method: 'held', before, after, fraction: held === before ? 0 : 1, value: held.record.payload };
      }
    }
  }

  /** groupBy 'sensor': the interpolate rule applied to each sensorId's records separately. */
  private selectPerSensor(s: InputState<P>, pivotTimeUs: number): FrameMember<P> | undefined {
    const targetUs = pivotTimeUs + s.offsetUs;
    const loUs = targetUs - s.windowUs;
    const hiUs = targetUs + s.windowUs;
    const items = s.buffer.items;
    const brackets = new Map<string, { before: BufferedRecord<P> | undefined; after: BufferedRecord<P> | undefined }>();
    for (let i = s.buffer.lowerBound(loUs); i < items.length; i += 1) {
      const item = items[i];
      if (item === undefined || item.timeUs > hiUs) break;
      const id = item.record.sensorId;
      let b = brackets.get(id);
      if (b === undefined) {
        b = { before: undefined, after: undefined };
        brackets.set(id, b);
      }
      if (item.timeUs < targetUs) b.before = item; // items are in time order: the last one before wins
      else b.after ??= item; // the first one at or after the target
    }
    const sensors: ({ readonly sensorId: string } & Interpolation<P>)[] = [];
    for (const sensorId of [...brackets.keys()].sort()) {
      const b = brackets.get(sensorId);
      if (b === undefined) continue;
      const before = b.before === undefined ? undefined : this.sample(b.before, pivotTimeUs);
      const after = b.after === undefined ? undefined : this.sample(b.after, pivotTimeUs);
      const base = { sensorId, timeUs: targetUs, offsetFromPivotUs: s.offsetUs };
      if (after !== undefined && after.timeUs === targetUs) {
        sensors.push({ ...base, method: 'interpolated', before, after, fraction: 1, value: after.record.payload });
      } else if (before !== undefined && after !== undefined && s.config.interpolate !== undefined) {
        const fraction = (targetUs - before.timeUs) / (after.timeUs - before.timeUs);
        sensors.push({ ...base, method: 'interpolated', before, after, fraction, value: s.config.interpolate(before.record, after.record, fraction) });
      } else {
        const held = before ?? after;
        if (held !== undefined) sensors.push({ ...base, method: 'held', before, after, fraction: held === before ? 0 : 1, value: held.record.payload });
      }
    }
    const first = sensors[0];
    if (first === undefined) return undefined;
    return {
      select: 'interpolate', method: first.method, before: first.before, after: first.after, fraction: first.fraction,
      timeUs: first.timeUs, offsetFromPivotUs: first.offsetFromPivotUs, value: first.value, sensors,
    };
  }

  private resolve(c: Collector<P>, j: number, closedBy: ClosedBy): void {
    if (c.resolved[j] !== undefined) return;
    const member = this.select(c, j);
    c.resolved[j] = { closedBy, member };
    c.unresolved -= 1;
  }

  // ---- timers ------------------------------------------------------------------------------

  private armTimeout(c: Collector<P>): void {
    let nextUs = Number.POSITIVE_INFINITY;
    for (let j = 0; j < this.inputs.length; j += 1) {
      if (c.resolved[j] === undefined) nextUs = Math.min(nextUs, c.openedAtUs + (this.inputs[j]?.timeoutUs ?? Infinity));
    }
    if (!Number.isFinite(nextUs)) return;
    // The deadline is fixed when the collector opens: later records never restart it.
    c.cancelTimer = this.timer.after(Math.max(0, nextUs - this.timer.nowUs()), () => {
      c.cancelTimer = undefined;
      const nowUs = this.timer.nowUs();
      for (let j = 0; j < this.inputs.length; j += 1) {
        const s = this.inputs[j];
        if (s === undefined || c.resolved[j] !== undefined || c.openedAtUs + s.timeoutUs > nowUs) continue;
        this.diagnostics.emit({ type: 'align.timeout', input: s.config.name, pivotTimeUs: c.pivotTimeUs, atUs: nowUs });
        this.resolve(c, j, 'timeout');
      }
      this.armTimeout(c);
      this.emitReady();
      this.prune();
    });
  }

  private armIdle(j: number): void {
    const s = this.inputs[j];
    const idleUs = s?.config.idleTimeoutUs;
    if (s === undefined || idleUs === undefined) return;
    const delayUs = Math.max(0, s.lastArrivalUs + idleUs - this.timer.nowUs());
    s.cancelIdle = this.timer.after(delayUs, () => {
      s.cancelIdle = undefined;
      const nowUs = this.timer.nowUs();
      if (nowUs - s.lastArrivalUs < idleUs) {
        this.armIdle(j); // a record arrived meanwhile: wait for the rest of the period
        return;
      }
      s.idle = true;
      this.diagnostics.emit({ type: 'align.idle', input: s.config.name, silentUs: nowUs - s.lastArrivalUs, atUs: nowUs });
      for (const c of this.collectors) if (c.resolved[j] === undefined) this.resolve(c, j, 'idle');
      this.emitReady();
      this.prune();
    });
  }

  private armPivotIdle(): void {
    const idleUs = this.config.pivot.idleTimeoutUs;
    if (idleUs === undefined) return;
    const delayUs = Math.max(0, this.pivotLastArrivalUs + idleUs - this.timer.nowUs());
    this.cancelPivotIdle = this.timer.after(delayUs, () => {
      this.cancelPivotIdle = undefined;
      const nowUs = this.timer.nowUs();
      if (nowUs - this.pivotLastArrivalUs < idleUs) {
        this.armPivotIdle();
        return;
      }
      this.pivotIdle = true;
      this.diagnostics.emit({ type: 'align.idle', input: this.config.pivot.name, silentUs: nowUs - this.pivotLastArrivalUs, atUs: nowUs });
    });
  }

  // ---- output and memory -------------------------------------------------------------------

  private emitReady(): void {
    for (;;) {
      const c = this.collectors[0];
      if (c === undefined || c.unresolved > 0) return;
      this.collectors.shift();
      c.cancelTimer?.();
      this.lastEmittedPivotUs = c.pivotTimeUs;
      this.emit(this.frame(c));
    }
  }

  private frame(c: Collector<P>): AlignedFrame<P> {
    const pivotName = this.config.pivot.name;
    const members: Record<string, FrameMember<P> | undefined> = {};
    const presence: Record<string, Presence> = { [pivotName]: 'present' };
    const closedBy: Record<string, ClosedBy> = { [pivotName]: 'watermark' };
    let complete = true;
    this.inputs.forEach((s, j) => {
      const r = c.resolved[j];
      const name = s.config.name;
      const member = r?.member;
      members[name] = member;
      closedBy[name] = r?.closedBy ?? 'end-of-stream';
      if (member !== undefined) presence[name] = 'present';
      else {
        complete = false;
        // late: the input is alive but behind (it timed out before its watermark reached the window);
        // its records for this window may still come and go to the late side output.
        const alive = s.tracker.newestUs > Number.NEGATIVE_INFINITY && !s.idle;
        presence[name] = (r?.closedBy === 'timeout' || r?.closedBy === 'evicted') && alive ? 'late' : 'missing';
      }
      if (r?.closedBy === 'timeout') {
        s.timedOutUpToUs = Math.max(s.timedOutUpToUs, c.pivotTimeUs + s.offsetUs + s.windowUs);
      }
    });
    return {
      pivotInput: pivotName,
      pivot: c.pivot,
      pivotTimeUs: c.pivotTimeUs,
      members,
      presence,
      closedBy,
      complete,
      openedAtUs: c.openedAtUs,
      emittedAtUs: this.timer.nowUs(),
    };
  }

  /** Drops buffered records that no open or future collector can select. */
  private prune(): void {
    const pivotWatermarkUs = this.pivotTracker.watermarkUs();
    if (pivotWatermarkUs === Number.NEGATIVE_INFINITY && this.collectors.length === 0) return;
    this.inputs.forEach((s, j) => {
      // Never prune an input's newest window: after a replay loop it may reset before the pivot does.
      let keepFromUs = Math.min(pivotWatermarkUs + s.offsetUs - s.windowUs, s.tracker.newestUs - s.windowUs);
      for (const c of this.collectors) {
        if (c.resolved[j] === undefined) keepFromUs = Math.min(keepFromUs, c.pivotTimeUs + s.offsetUs - s.windowUs);
      }
      if (Number.isFinite(keepFromUs)) s.buffer.pruneEndingBefore(keepFromUs);
    });
  }
}
