import { map, merge, NEVER, Subject, timer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { alignByPivot } from './alignByPivot.js';
import { itHonoursTheOperatorContract, newTestScheduler } from './contract.spec-helper.js';
import { createAlignDiagnostics, type AlignEvent } from './diagnostics.js';
import { PivotAligner, type AlignedFrame, type PivotAlignConfig, type TimerPort } from './pivot-aligner.js';
import { recordFactory } from './testing.js';
import type { InputRecord } from './types.js';

const MS = 1_000;

/** Records arriving at given processing times (ms) on a virtual scheduler; the source stays open. */
function arrivals<T>(ts: TestScheduler, list: readonly (readonly [number, T])[]): Observable<T> {
  return merge(NEVER, ...list.map(([atMs, value]) => timer(atMs, ts).pipe(map(() => value))));
}

interface Emitted<P> {
  readonly atMs: number;
  readonly frame: AlignedFrame<P>;
}

function run<P>(
  config: PivotAlignConfig<P>,
  list: readonly (readonly [number, InputRecord<P>])[],
  untilMs = 60_000,
): { frames: Emitted<P>[]; events: AlignEvent[] } {
  const ts = new TestScheduler(() => undefined);
  const events: AlignEvent[] = [];
  const frames: Emitted<P>[] = [];
  const sub = arrivals(ts, list)
    .pipe(alignByPivot({ ...config, diagnostics: createAlignDiagnostics({ onEvent: (e) => events.push(e) }) }, ts))
    .subscribe((frame) => frames.push({ atMs: ts.now(), frame }));
  ts.maxFrames = untilMs;
  ts.flush();
  sub.unsubscribe();
  return { frames, events };
}

const memberTime = (f: AlignedFrame<unknown>, name: string): number | undefined => {
  const m = f.members[name];
  return m?.select === 'nearest' ? m.timeUs : undefined;
};

describe('alignByPivot: LIDAR pivot, camera nearest', () => {
  const camera = [0, 33, 67, 100, 133, 167, 200, 233, 267, 300];
  const lidar = [5, 105, 205, 305];
  const config: PivotAlignConfig<string> = {
    pivot: { name: 'lidar', minIntervalUs: 100 * MS },
    inputs: [{ name: 'camera', select: 'nearest', matchWindowUs: 50 * MS, minIntervalUs: 33 * MS }],
  };
  const rig = (lidarDelayMs: number): [number, InputRecord<string>][] => {
    const make = recordFactory();
    return [
      ...camera.map((t): [number, InputRecord<string>] => [t, make('camera', t * MS)]),
      ...lidar.map((t): [number, InputRecord<string>] => [t + lidarDelayMs, make('lidar', t * MS)]),
    ];
  };

  it('camera 30 Hz and LIDAR 10 Hz: (5,0)(105,100)(205,200)(305,300), each as soon as provable', () => {
    const { frames } = run(config, rig(0));
    expect(frames.map((e) => [e.frame.pivotTimeUs, memberTime(e.frame, 'camera')])).toEqual([
      [5 * MS, 0], [105 * MS, 100 * MS], [205 * MS, 200 * MS], [305 * MS, 300 * MS],
    ]);
    // The camera's declared 33 ms interval proves, when the sweep arrives, that no camera frame nearer
    // than the buffered one can come: each frame leaves on its sweep, with no wait and no timeout.
    expect(frames.map((e) => e.atMs)).toEqual([5, 105, 205, 305]);
    expect(frames.every((e) => e.frame.complete && e.frame.presence['camera'] === 'present')).toBe(true);
    const first = frames[0]?.frame.members['camera'];
    expect(first?.select === 'nearest' && first.offsetFromPivotUs).toBe(-5 * MS);
  });

  it('the same with LIDAR delivered 150 ms late: identical pairs, nothing dropped', () => {
    const { frames, events } = run(config, rig(150));
    expect(frames.map((e) => [e.frame.pivotTimeUs, memberTime(e.frame, 'camera')])).toEqual([
      [5 * MS, 0], [105 * MS, 100 * MS], [205 * MS, 200 * MS], [305 * MS, 300 * MS],
    ]);
    expect(events.filter((e) => e.type !== 'align.active')).toEqual([]);
  });

  it('clock skew: a configured camera clock offset is applied before matching', () => {
    // The camera clock runs 20 ms behind the rig: it stamps 80 what the rig calls 100.
    const make = recordFactory();
    const list: [number, InputRecord<string>][] = [
      [0, make('lidar', 105 * MS)],
      [1, make('camera', 47 * MS)], // rig 67
      [2, make('camera', 80 * MS)], // rig 100
      [3, make('camera', 113 * MS)], // rig 133
    ];
    const { frames } = run({ ...config, clockOffsetsUs: { camera: 20 * MS } }, list);
    const member = frames[0]?.frame.members['camera'];
    expect(member?.select === 'nearest' && [member.timeUs, member.record.captureTimeUs, member.offsetFromPivotUs]).toEqual([
      100 * MS, 80 * MS, -5 * MS,
    ]);
  });

  it('gap: a camera outage inside the window is flagged missing as soon as the camera passes the window', () => {
    const make = recordFactory();
    const list: [number, InputRecord<string>][] = [
      [0, make('camera', 0)],
      [5, make('lidar', 105 * MS)],
      [300, make('camera', 300 * MS)], // nothing between 0 and 300
    ];
    const { frames } = run(config, list);
    expect(frames).toHaveLength(1);
    expect(frames[0]?.atMs).toBe(300);
    expect(frames[0]?.frame.presence['camera']).toBe('missing');
    expect(frames[0]?.frame.closedBy['camera']).toBe('watermark');
  });

  it('late record: a camera frame older than the watermark goes to the late side output, not into a frame', () => {
    const make = recordFactory();
    const list: [number, InputRecord<string>][] = [
      [0, make('camera', 100 * MS)],
      [1, make('camera', 133 * MS)],
      [2, make('camera', 104 * MS)], // out of order on an in-order input: late
      [3, make('lidar', 105 * MS)],
    ];
    const { frames, events } = run(config, list);
    expect(memberTime(frames[0]?.frame as AlignedFrame<unknown>, 'camera')).toBe(100 * MS);
    const late = events.flatMap((e) => (e.type === 'align.late' ? [e.record.captureTimeUs] : []));
    expect(late).toEqual([104 * MS]);
  });

  it('duplicate: the same camera record twice is dropped once and counted', () => {
    const make = recordFactory();
    const cam = make('camera', 100 * MS);
    const list: [number, InputRecord<string>][] = [[0, cam], [1, cam], [2, make('lidar', 105 * MS)], [3, make('camera', 133 * MS)]];
    const { frames, events } = run(config, list);
    expect(frames).toHaveLength(1);
    expect(events.filter((e) => e.type === 'align.duplicate')).toHaveLength(1);
  });

  it('replay loop: a backward jump resets and emits a reset event instead of blocking', () => {
    const make = recordFactory();
    const list: [number, InputRecord<string>][] = [];
    for (let loop = 0; loop < 2; loop += 1) {
      const base = loop * 1000;
      // Second loop: the camera arrives 10 ms after the LIDAR, so the pivot loops back first.
      for (const t of camera) list.push([base + t + loop * 10, make('camera', t * MS, { seq: loop * 100 + t })]);
      for (const t of lidar) list.push([base + t, make('lidar', t * MS, { seq: loop * 100 + t })]);
    }
    const { frames, events } = run(
      {
        pivot: { ...config.pivot, resetOnBackwardJumpUs: 200 * MS },
        inputs: config.inputs.map((i) => ({ ...i, resetOnBackwardJumpUs: 200 * MS })),
      },
      list,
    );
    const pairs = frames.map((e) => [e.frame.pivotTimeUs, memberTime(e.frame, 'camera')]);
    const once = [[5 * MS, 0], [105 * MS, 100 * MS], [205 * MS, 200 * MS], [305 * MS, 300 * MS]];
    expect(pairs).toEqual([...once, ...once]);
    expect(events.filter((e) => e.type === 'align.reset').map((e) => e.input).sort()).toEqual(['camera', 'lidar']);
  });
});

describe('alignByPivot: presence late', () => {
  it('a camera that is alive but behind is flagged late at its timeout; its record for that frame is reported late', () => {
    const make = recordFactory();
    const list: [number, InputRecord<string>][] = [
      [0, make('camera', 0)],
      [100, make('lidar', 100 * MS)],
      // the camera stalls: its 100 ms frame arrives only after the frame was emitted without it
      [400, make('camera', 100 * MS)],
    ];
    const { frames, events } = run(
      {
        pivot: { name: 'lidar' },
        inputs: [{ name: 'camera', select: 'nearest', matchWindowUs: 20 * MS, timeoutUs: 200 * MS, minIntervalUs: 33 * MS }],
      },
      list,
      1000,
    );
    expect(frames.map((e) => [e.atMs, e.frame.presence['camera'], e.frame.closedBy['camera']])).toEqual([[300, 'late', 'timeout']]);
    expect(events.flatMap((e) => (e.type === 'align.late' ? [[e.reason, e.record.captureTimeUs]] : []))).toEqual([
      ['after-timeout', 100 * MS],
    ]);
  });
});

describe('alignByPivot: three LIDARs with offsets 0/40/80 ms and a 200 ms timeout', () => {
  const config: PivotAlignConfig<string> = {
    pivot: { name: 'lidar0' },
    inputs: [
      { name: 'lidar1', select: 'nearest', offsetUs: 40 * MS, matchWindowUs: 20 * MS, timeoutUs: 200 * MS },
      { name: 'lidar2', select: 'nearest', offsetUs: 80 * MS, matchWindowUs: 20 * MS, timeoutUs: 200 * MS },
    ],
  };

  it('third missing → a frame at exactly open + 200 ms with the two present; the next cycle does not restart the timer', () => {
    const make = recordFactory();
    const list: [number, InputRecord<string>][] = [
      [0, make('lidar0', 0)],
      [40, make('lidar1', 40 * MS)],
      [100, make('lidar0', 100 * MS)], // next cycle: must not push the first deadline
      [140, make('lidar1', 140 * MS)],
    ];
    const { frames, events } = run(config, list, 1000);
    expect(frames.map((e) => e.atMs)).toEqual([200, 300]);
    const first = frames[0]?.frame;
    expect(first?.presence).toEqual({ lidar0: 'present', lidar1: 'present', lidar2: 'missing' });
    expect(first?.closedBy['lidar2']).toBe('timeout');
    expect(memberTime(first as AlignedFrame<unknown>, 'lidar1')).toBe(40 * MS);
    expect(events.filter((e) => e.type === 'align.timeout').map((e) => e.input)).toEqual(['lidar2', 'lidar2']);
  });

  it('all three present → the frame leaves on the last record, before any timeout', () => {
    const make = recordFactory();
    const list: [number, InputRecord<string>][] = [
      [0, make('lidar0', 0)],
      [41, make('lidar1', 41 * MS)],
      [79, make('lidar2', 79 * MS)],
      [100, make('lidar0', 100 * MS)],
      [140, make('lidar1', 140 * MS)],
      [180, make('lidar2', 180 * MS)],
    ];
    const { frames } = run(
      { ...config, inputs: config.inputs.map((i) => ({ ...i, minIntervalUs: 90 * MS })) },
      list,
      1000,
    );
    expect(frames.map((e) => [e.atMs, e.frame.complete])).toEqual([[79, true], [180, true]]);
  });
});

describe('alignByPivot: audio goes silent while camera and LIDAR continue', () => {
  const base = (idleTimeoutUs: number | undefined): PivotAlignConfig<string> => ({
    pivot: { name: 'lidar', minIntervalUs: 100 * MS },
    inputs: [
      { name: 'camera', select: 'nearest', matchWindowUs: 50 * MS, minIntervalUs: 33 * MS },
      {
        name: 'audio', select: 'overlapping', matchWindowUs: 50 * MS, minIntervalUs: 20 * MS,
        ...(idleTimeoutUs === undefined ? {} : { idleTimeoutUs }),
      },
    ],
  });
  const rig = (seconds: number): [number, InputRecord<string>][] => {
    const make = recordFactory();
    const list: [number, InputRecord<string>][] = [];
    for (let t = 0; t < seconds * 1000; t += 1) {
      if (t % 100 === 5) list.push([t, make('lidar', t * MS)]);
      if (t % 33 === 0) list.push([t, make('camera', t * MS)]);
      if (t % 20 === 0 && t < 1000) list.push([t, make('audio', t * MS, { durationUs: 20 * MS })]); // stops at 1 s
    }
    return list;
  };

  it('idle timeout 1 s → after 1 s of silence frames flow again, flagged audio missing', () => {
    const { frames, events } = run(base(1_000 * MS), rig(4));
    const withAudio = frames.filter((e) => e.frame.presence['audio'] === 'present');
    const without = frames.filter((e) => e.frame.presence['audio'] !== 'present');
    // Before the outage: complete frames with the chunks overlapping ±50 ms (5 chunks, e.g. 60..140 for pivot 105).
    const second = withAudio[1]?.frame.members['audio'];
    expect(second?.select === 'overlapping' && second.samples.map((s) => s.timeUs / MS)).toEqual([40, 60, 80, 100, 120, 140]);
    expect(without.length).toBeGreaterThan(20);
    expect(without.every((e) => e.frame.presence['audio'] === 'missing' && e.frame.presence['camera'] === 'present')).toBe(true);
    // The audio stream's last record arrived at 980 ms: it is declared idle at 1980 ms, and the held frames leave then.
    expect(events.find((e) => e.type === 'align.idle')).toMatchObject({ input: 'audio', atUs: 1980 * MS });
    const held = without.filter((e) => e.atMs === 1980);
    expect(held.length).toBeGreaterThan(5);
    // After that, frames flow at the camera's pace again (not at the idle timeout's).
    const later = without.filter((e) => e.frame.pivotTimeUs > 2100 * MS);
    expect(later.every((e) => e.atMs - e.frame.pivotTimeUs / MS < 50)).toBe(true);
  });

  it('without an idle timeout the engine still does not grow memory (core, 60 s simulated)', () => {
    const config = base(undefined);
    let nowUs = 0;
    const fakeTimer: TimerPort = { nowUs: () => nowUs, after: () => () => undefined };
    const evicted: AlignEvent[] = [];
    const aligner = new PivotAligner<string>(
      { ...config, maxOpenCollectors: 16 },
      fakeTimer,
      createAlignDiagnostics({ onEvent: (e) => { if (e.type === 'align.evicted') evicted.push(e); } }),
      () => undefined,
    );
    const sizes: number[] = [];
    for (const [atMs, { input, record }] of rig(60)) {
      nowUs = atMs * MS;
      aligner.push(input, record);
      if (atMs % 10_000 === 5) sizes.push(aligner.openCollectors() + aligner.bufferedRecords());
    }
    expect(aligner.openCollectors()).toBeLessThanOrEqual(16);
    // Same footprint at 10 s and at 60 s: bounded, not growing with time.
    expect(new Set(sizes.slice(1)).size).toBe(1);
    expect(evicted.every((e) => e.type === 'align.evicted' && e.reason === 'max-collectors')).toBe(true);
    expect(evicted.length).toBeGreaterThan(500);
  });
});

describe('alignByPivot: motion interpolated at the pivot time', () => {
  it('linear interpolation between the two bracketing samples, both reported', () => {
    const make = recordFactory();
    const imu = (t: number, v: number): InputRecord<number> => {
      const r = make('imu', t * MS);
      return { input: 'imu', record: { ...r.record, payload: v } };
    };
    const lidar = make('lidar', 105 * MS);
    const list: [number, InputRecord<number>][] = [
      [0, imu(100, 10)],
      [1, { input: 'lidar', record: { ...lidar.record, payload: 0 } }],
      [2, imu(110, 30)],
    ];
    const { frames } = run<number>(
      {
        pivot: { name: 'lidar' },
        inputs: [
          {
            name: 'imu', select: 'interpolate', matchWindowUs: 20 * MS,
            interpolate: (a, b, f) => a.payload + (b.payload - a.payload) * f,
          },
        ],
      },
      list,
    );
    const m = frames[0]?.frame.members['imu'];
    expect(frames[0]?.atMs).toBe(2);
    // By hand: 105 is halfway between 100 and 110 → 10 + (30 − 10) × 0.5 = 20.
    expect(m?.select === 'interpolate' && [m.method, m.fraction, m.value, m.before?.timeUs, m.after?.timeUs]).toEqual([
      'interpolated', 0.5, 20, 100 * MS, 110 * MS,
    ]);
  });
});

describe('alignByPivot: several device sensors on one input, each interpolated at the pivot (groupBy sensor)', () => {
  const make = recordFactory();
  const dev = (sensorId: string, t: number, v: number): InputRecord<number> => {
    const r = make('sensor', t * MS, { sensorId });
    return { input: 'sensor', record: { ...r.record, payload: v } };
  };
  const lidarAt = (t: number): InputRecord<number> => {
    const r = make('lidar', t * MS);
    return { input: 'lidar', record: { ...r.record, payload: 0 } };
  };
  const config: PivotAlignConfig<number> = {
    pivot: { name: 'lidar' },
    inputs: [
      {
        name: 'sensor', select: 'interpolate', groupBy: 'sensor', matchWindowUs: 100 * MS,
        interpolate: (a, b, f) => a.payload + (b.payload - a.payload) * f,
      },
    ],
  };
  const bySensor = (f: AlignedFrame<number> | undefined) => {
    const m = f?.members['sensor'];
    return m?.select === 'interpolate'
      ? Object.fromEntries((m.sensors ?? []).map((x) => [x.sensorId, [x.method, x.fraction, x.value, x.before?.timeUs, x.after?.timeUs]]))
      : undefined;
  };

  it('interpolates interleaved sensors separately and waits until each is bracketed', () => {
    // temp: 10 at 100 ms, 20 at 200 ms; press: 1000 at 150 ms, 1100 at 250 ms; pivot at 180 ms.
    const list: [number, InputRecord<number>][] = [
      [0, dev('temp', 100, 10)],
      [1, dev('press', 150, 1000)],
      [2, lidarAt(180)],
      [3, dev('temp', 200, 20)],
      [4, dev('press', 250, 1100)],
    ];
    const { frames } = run(config, list);
    expect(frames).toHaveLength(1);
    // Closed when press is bracketed too (4 ms), not at temp's bracket (3 ms).
    expect(frames[0]?.atMs).toBe(4);
    expect(frames[0]?.frame.presence['sensor']).toBe('present');
    // By hand: temp (180 − 100)/(200 − 100) = 0.8 → 10 + 0.8 × 10 = 18;
    // press (180 − 150)/(250 − 150) = 0.3 → 1000 + 0.3 × 100 = 1030.
    const got = bySensor(frames[0]?.frame);
    expect(got?.['temp']?.slice(0, 2)).toEqual(['interpolated', 0.8]);
    expect(got?.['temp']?.[2]).toBeCloseTo(18, 12);
    expect(got?.['temp']?.slice(3)).toEqual([100 * MS, 200 * MS]);
    expect(got?.['press']?.slice(0, 2)).toEqual(['interpolated', expect.closeTo(0.3, 12)]);
    expect(got?.['press']?.[2]).toBeCloseTo(1030, 9);
    expect(got?.['press']?.slice(3)).toEqual([150 * MS, 250 * MS]);
    // The member's own fields repeat the first sensor by id (press), for single-value readers.
    const m = frames[0]?.frame.members['sensor'];
    expect(m?.select === 'interpolate' && m.value).toBeCloseTo(1030, 9);
  });

  it('holds a sensor that went silent after its last sample and omits one with nothing in the window', () => {
    const list: [number, InputRecord<number>][] = [
      [0, dev('old', 10, 5)], // 170 ms before the pivot: outside the 100 ms window
      [1, dev('battery', 120, 12.5)],
      [2, dev('temp', 150, 15)],
      [3, lidarAt(180)],
      [4, dev('temp', 200, 20)], // temp bracketed; battery is silent, so the frame waits…
      [5, dev('temp', 300, 30)], // …until the watermark passes the window end (280 ms)
    ];
    const { frames } = run(config, list);
    expect(frames[0]?.atMs).toBe(5);
    const got = bySensor(frames[0]?.frame);
    expect(Object.keys(got ?? {})).toEqual(['battery', 'temp']);
    expect(got?.['battery']).toEqual(['held', 0, 12.5, 120 * MS, undefined]);
    // temp: (180 − 150)/(200 − 150) = 0.6 → 15 + 0.6 × 5 = 18.
    expect(got?.['temp']?.[2]).toBeCloseTo(18, 12);
  });

  it("holdFrames 'once-seen': an input that never sent anything does not delay frames; once it speaks, frames wait for it", () => {
    const optional: PivotAlignConfig<number> = { ...config, inputs: config.inputs.map((i) => ({ ...i, timeoutUs: 50 * MS, holdFrames: 'once-seen' as const })) };
    const list: [number, InputRecord<number>][] = [
      [0, lidarAt(100)], // no device record yet: emitted at once, without waiting for the 50 ms timeout
      [10, dev('temp', 150, 15)],
      [11, lidarAt(200)], // temp has spoken: this frame waits for its bracket…
      [20, dev('temp', 250, 25)], // …which arrives here: (200 − 150)/(250 − 150) = 0.5 → 20
    ];
    const { frames } = run(optional, list);
    expect(frames.map((f) => [f.atMs, f.frame.presence['sensor']])).toEqual([[0, 'missing'], [20, 'present']]);
    expect(bySensor(frames[1]?.frame)?.['temp']?.[2]).toBeCloseTo(20, 12);
    // Without the option the first frame waits for the input: here until temp's first record brackets it (10 ms).
    const always = run({ ...config, inputs: config.inputs.map((i) => ({ ...i, timeoutUs: 50 * MS })) }, list);
    expect(always.frames[0]?.atMs).toBe(10);
    expect(always.frames[0]?.frame.presence['sensor']).toBe('present');
  });

  it('reports the input missing when no sensor has a sample in the window, and refuses groupBy sensor for nearest', () => {
    const { frames } = run({ ...config, inputs: config.inputs.map((i) => ({ ...i, timeoutUs: 50 * MS })) }, [[0, lidarAt(180)]]);
    expect(frames[0]?.frame.presence['sensor']).toBe('missing');
    expect(frames[0]?.atMs).toBe(50);
    const timerPort: TimerPort = { nowUs: () => 0, after: () => () => undefined };
    expect(() => new PivotAligner<number>(
      { pivot: { name: 'lidar' }, inputs: [{ name: 'sensor', select: 'nearest', groupBy: 'sensor', matchWindowUs: MS }] },
      timerPort, createAlignDiagnostics({}), () => undefined,
    )).toThrow(new RangeError(`alignByPivot: input "sensor": groupBy 'sensor' needs select 'interpolate', found 'nearest'`));
  });
});

describe('alignByPivot: RxJS operator contract (marbles, 1 frame = 1 ms)', () => {
  const make = recordFactory();
  const values = { a: make('lidar', 5 * MS), b: make('camera', 0), c: make('camera', 33 * MS) };
  const op = (ts: TestScheduler) =>
    alignByPivot<string>(
      {
        pivot: { name: 'lidar', idleTimeoutUs: 1_000 * MS },
        inputs: [{ name: 'camera', select: 'nearest', matchWindowUs: 50 * MS, timeoutUs: 200 * MS, minIntervalUs: 33 * MS }],
      },
      ts,
    );

  it('nominal: the 5 ms sweep pairs with the 0 ms camera frame as soon as it arrives', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectObservable }) => {
      const out = cold('b 4ms a 27ms c 9ms |', values).pipe(
        op(ts),
        map((f) => `${f.pivotTimeUs}:${memberTime(f, 'camera')}`),
      );
      expectObservable(out).toBe('5ms x 37ms |', { x: `${5 * MS}:0` });
    });
  });

  it('dead camera: the frame leaves on its 200 ms timeout with the camera missing', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectObservable }) => {
      const out = cold('a 999ms |', values).pipe(op(ts), map((f) => f.presence['camera']));
      expectObservable(out).toBe('200ms x 799ms |', { x: 'missing' });
    });
  });

  itHonoursTheOperatorContract(op, values);

  it('unsubscribing with a collector open cancels its timeout (no frame, no timer left)', () => {
    const ts = newTestScheduler();
    const subject = new Subject<InputRecord<string>>();
    const out: unknown[] = [];
    const sub = subject.pipe(op(ts)).subscribe((f) => out.push(f));
    subject.next(values.a);
    sub.unsubscribe();
    ts.flush();
    expect(out).toEqual([]);
    expect((ts as unknown as { actions: unknown[] }).actions.length).toBe(0);
  });
});
