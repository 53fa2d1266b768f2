import { Subject, type SchedulerLike } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { alignByPivot } from './alignByPivot.js';
import { itHonoursTheOperatorContract } from './contract.spec-helper.js';
import { EventTimeClock } from './event-time-clock.js';
import type { AlignedFrame, PivotAlignConfig } from './pivot-aligner.js';
import { recordFactory } from './testing.js';
import type { InputRecord } from './types.js';

const MS = 1_000;

/** A scheduler that fails the test when read: event time must not look at processing time. */
const noScheduler: SchedulerLike = {
  now: () => {
    throw new Error('event-time alignment read the scheduler clock');
  },
  schedule: () => {
    throw new Error('event-time alignment armed a processing-time timer');
  },
};

/** Pushes the records synchronously in the given order; returns the frames (and completes when asked). */
function align<P>(config: PivotAlignConfig<P>, records: readonly InputRecord<P>[], complete = false): AlignedFrame<P>[] {
  const frames: AlignedFrame<P>[] = [];
  const input = new Subject<InputRecord<P>>();
  const sub = input.pipe(alignByPivot(config, noScheduler)).subscribe((f) => frames.push(f));
  for (const r of records) input.next(r);
  if (complete) input.complete();
  sub.unsubscribe();
  return frames;
}

/** What a user reads from a frame: pivot time, chosen camera time, motion bracket, presence, closure. */
function summary(f: AlignedFrame<string>): unknown {
  const camera = f.members.camera;
  const motion = f.members.motion;
  return {
    pivotMs: f.pivotTimeUs / MS,
    cameraMs: camera?.select === 'nearest' ? camera.timeUs / MS : null,
    motion: motion?.select === 'interpolate' ? [motion.before?.timeUs ?? null, motion.after?.timeUs ?? null].map((t) => (t === null ? null : t / MS)) : null,
    presence: f.presence,
    closedBy: f.closedBy,
  };
}

const config: PivotAlignConfig<string> = {
  time: 'event',
  pivot: { name: 'lidar', idleTimeoutUs: 5_000 * MS },
  inputs: [
    { name: 'camera', select: 'nearest', matchWindowUs: 50 * MS, timeoutUs: 200 * MS, idleTimeoutUs: 5_000 * MS },
    { name: 'motion', select: 'interpolate', matchWindowUs: 100 * MS, timeoutUs: 200 * MS, idleTimeoutUs: 5_000 * MS, interpolate: (a) => a.payload },
  ],
};

/** LIDAR 10 Hz at 5, 105, …; camera 30 Hz at 0, 33, 67, …; motion 50 Hz at 0, 20, 40, … (ms), for `seconds`. */
function drive(seconds: number): { lidar: InputRecord<string>[]; camera: InputRecord<string>[]; motion: InputRecord<string>[] } {
  const make = recordFactory();
  const lidar: InputRecord<string>[] = [];
  const camera: InputRecord<string>[] = [];
  const motion: InputRecord<string>[] = [];
  for (let t = 0; t < seconds * 1000; t += 100) lidar.push(make('lidar', (t + 5) * MS));
  for (let i = 0; i * 100 < seconds * 3000; i++) camera.push(make('camera', Math.round((i * 100) / 3) * MS));
  for (let t = 0; t < seconds * 1000; t += 20) motion.push(make('motion', t * MS));
  return { lidar, camera, motion };
}

/** Merges streams in batches of `sizes[i]` records per stream, round robin (a bus draining a backlog). */
function roundRobin<T>(streams: readonly (readonly T[])[], sizes: readonly number[]): T[] {
  const out: T[] = [];
  const pos = streams.map(() => 0);
  for (let progress = true; progress;) {
    progress = false;
    streams.forEach((s, i) => {
      const n = sizes[i] ?? 1;
      const p = pos[i] ?? 0;
      if (p < s.length) progress = true;
      out.push(...s.slice(p, p + n));
      pos[i] = p + n;
    });
  }
  return out;
}

describe('alignByPivot, time: event', () => {
  itHonoursTheOperatorContract(() => alignByPivot<string>(config, noScheduler), { a: recordFactory()('lidar', 5 * MS), b: recordFactory()('camera', 0) });

  it('frames are the same whatever the interleaving of the inputs (live order, backlog batches, one input far behind)', () => {
    const { lidar, camera, motion } = drive(3);
    // In capture order (a live rig with no delays).
    const live = [...lidar, ...camera, ...motion].sort((a, b) => a.record.captureTimeUs - b.record.captureTimeUs);
    // A backlog drained 64 records per topic at a time: 6.4 s of LIDAR before 1.3 s of motion.
    const backlog = roundRobin([lidar, camera, motion], [64, 64, 64]);
    // The camera 800 ms behind everything (a slow camera worker): still within its idle timeout.
    const arrival = (r: InputRecord<string>) => r.record.captureTimeUs + (r.input === 'camera' ? 800 * MS : 0);
    const slowCamera = [...lidar, ...motion, ...camera].sort((a, b) => arrival(a) - arrival(b));
    const runs = [live, backlog, slowCamera].map((order) => align(config, order, true).map(summary));
    expect(runs[0]).toHaveLength(30);
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    // Hand-checked known answers: sweep at 105 ms takes the camera frame at 100 ms and motion 100 → 120.
    expect(runs[0]?.[1]).toEqual({
      pivotMs: 105, cameraMs: 100, motion: [100, 120],
      presence: { lidar: 'present', camera: 'present', motion: 'present' },
      closedBy: { lidar: 'watermark', camera: 'watermark', motion: 'watermark' },
    });
    // The last sweep (2905) has camera 2900 and motion 2900 → (nothing after 2980 needed) 2920.
    expect(runs[0]?.[29]).toMatchObject({ pivotMs: 2905, cameraMs: 2900, motion: [2900, 2920] });
  });

  it('an input that never speaks stops holding frames once the others are its idleTimeoutUs past the start', () => {
    const { lidar, motion } = drive(3);
    const order = [...lidar, ...motion].sort((a, b) => a.record.captureTimeUs - b.record.captureTimeUs);
    const quietCamera: PivotAlignConfig<string> = { ...config, inputs: config.inputs.map((i) => (i.name === 'camera' ? { ...i, idleTimeoutUs: 1_000 * MS } : i)) };
    // Not completed: only event time can have closed these frames.
    const frames = align(quietCamera, order);
    expect(frames.map((f) => f.pivotTimeUs / MS)).toEqual(lidar.map((r) => r.record.captureTimeUs / MS));
    for (const f of frames) {
      expect(f.presence.camera).toBe('missing');
      expect(['timeout', 'idle']).toContain(f.closedBy.camera);
      expect(f.presence.motion).toBe('present');
    }
    // Until the camera is 1 s behind, the first frames were held (not timed out) while it might still come.
    expect(frames[0]?.closedBy.camera).toBe('timeout');
    expect(align(quietCamera, order.filter((r) => r.record.captureTimeUs <= 1_000 * MS))).toEqual([]);
    // With the default (5 s) idle timeout and 3 s of data, nothing closes before the end.
    expect(align(config, order)).toEqual([]);
    expect(align(config, order, true)).toHaveLength(30);
  });

  it('a stream that dies stops holding the clock back once it is idleTimeoutUs behind the others', () => {
    const { lidar, camera, motion } = drive(8);
    // Motion stops at 1 s; LIDAR and camera go on to 8 s.
    const order = [...lidar, ...camera, ...motion.filter((r) => r.record.captureTimeUs < 1_000 * MS)]
      .sort((a, b) => a.record.captureTimeUs - b.record.captureTimeUs);
    const frames = align(config, order);
    const after = frames.filter((f) => f.pivotTimeUs > 1_100 * MS);
    // Frames after the motion outage still come out (the clock runs on LIDAR and camera once motion is
    // 5 s behind), with motion missing; before that they waited for motion instead of timing it out.
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((f) => f.presence.motion !== 'present' && f.presence.camera === 'present')).toBe(true);
    expect(after.at(-1)?.presence.motion).toBe('missing');
    expect(frames.filter((f) => f.pivotTimeUs < 900 * MS).every((f) => f.presence.motion === 'present')).toBe(true);
  });
});

describe('EventTimeClock', () => {
  it('runs timers in due order as the clock advances, never backwards, and not cancelled ones', () => {
    const clock = new EventTimeClock(1_000);
    const ran: string[] = [];
    clock.after(300, () => ran.push(`b@${clock.nowUs()}`));
    clock.after(100, () => ran.push(`a@${clock.nowUs()}`));
    const cancel = clock.after(200, () => ran.push('cancelled'));
    clock.after(300, () => ran.push(`c@${clock.nowUs()}`));
    cancel();
    clock.advanceTo(1_250);
    expect(ran).toEqual(['a@1100']);
    clock.advanceTo(900);
    expect(clock.nowUs()).toBe(1_250);
    clock.advanceTo(5_000);
    expect(ran).toEqual(['a@1100', 'b@1300', 'c@1300']);
    expect(clock.nowUs()).toBe(5_000);
    expect(clock.pending()).toBe(0);
  });
});
