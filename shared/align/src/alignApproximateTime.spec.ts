import { Subject, map, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { alignApproximateTime, type ApproximateSet, type ApproximateTimeConfig } from './alignApproximateTime.js';
import { itHonoursTheOperatorContract, newTestScheduler } from './contract.spec-helper.js';
import { createAlignDiagnostics, type AlignEvent } from './diagnostics.js';
import { recordFactory } from './testing.js';
import type { InputRecord } from './types.js';

const S = 1_000_000; // one second in µs
const MS = 1_000;

/** Feeds (time, input) pairs in order and returns the emitted sets as arrays of member times. */
function feed(
  inputs: readonly (readonly [number, string])[],
  config: Partial<ApproximateTimeConfig> & { names: readonly string[] },
  events: AlignEvent[] = [],
): number[][] {
  const scheduler = new TestScheduler(() => undefined);
  const make = recordFactory();
  const subject = new Subject<InputRecord<string>>();
  const out: number[][] = [];
  subject
    .pipe(
      alignApproximateTime<string>(
        {
          inputs: config.names.map((name) => ({ name })),
          diagnostics: createAlignDiagnostics({ onEvent: (e) => events.push(e) }),
          ...config,
        },
        scheduler,
      ),
    )
    .subscribe((set) => out.push(config.names.map((n) => set.members[n]?.timeUs ?? Number.NaN)));
  for (const [t, input] of inputs) subject.next(make(input, t));
  return out;
}

const AB = ['a', 'b'];
const ABCD = ['a', 'b', 'c', 'd'];

// Known answers: the cases of ROS 2 message_filters test/test_approximate_time_policy.cpp, with the
// stamps it uses (whole seconds; topic 0 = a, 1 = b …) and its expected outputs; queue size 10 unless noted.
describe('alignApproximateTime: ROS message_filters ApproximateTime known answers', () => {
  it('ExactMatch: identical stamps pair up one to one', () => {
    const input = [[0, 'a'], [0, 'b'], [3 * S, 'a'], [3 * S, 'b'], [6 * S, 'a'], [6 * S, 'b']] as const;
    expect(feed(input, { names: AB, queueSize: 10 })).toEqual([[0, 0], [3 * S, 3 * S], [6 * S, 6 * S]]);
  });

  it('PerfectMatch: the last pair waits for proof that nothing tighter can come', () => {
    const input = [[0, 'a'], [S, 'b'], [3 * S, 'a'], [4 * S, 'b'], [6 * S, 'a'], [7 * S, 'b']] as const;
    expect(feed(input, { names: AB, queueSize: 10 })).toEqual([[0, S], [3 * S, 4 * S]]);
  });

  it('ImperfectMatch: x is skipped, c pairs with B', () => {
    const input = [[0, 'a'], [S, 'b'], [2 * S, 'a'], [3 * S, 'a'], [5 * S, 'b'], [6 * S, 'a'], [7 * S, 'b']] as const;
    expect(feed(input, { names: AB, queueSize: 10 })).toEqual([[0, S], [6 * S, 5 * S]]);
  });

  it('Acceleration: a rate change does not pair a with A', () => {
    const input = [[0, 'a'], [7 * S, 'b'], [12 * S, 'a'], [15 * S, 'b'], [17 * S, 'a'], [18 * S, 'b']] as const;
    expect(feed(input, { names: AB, queueSize: 10 })).toEqual([[12 * S, 7 * S], [17 * S, 18 * S]]);
  });

  const dropped = [
    [0, 'a'], [S, 'b'], [3 * S, 'b'], [4 * S, 'a'], [7 * S, 'b'],
    [8 * S, 'a'], [10 * S, 'a'], [11 * S, 'b'], [13 * S, 'a'], [14 * S, 'b'],
  ] as const;

  it('DroppedMessages, queue 1 (too small): two sets, and the losses are reported', () => {
    const events: AlignEvent[] = [];
    expect(feed(dropped, { names: AB, queueSize: 1 }, events)).toEqual([[4 * S, 3 * S], [10 * S, 11 * S]]);
    // ROS drops silently; we report every overflow as an eviction.
    expect(events.filter((e) => e.type === 'align.evicted').length).toBeGreaterThan(0);
  });

  it('DroppedMessages, queue 2 (just enough): four sets', () => {
    expect(feed(dropped, { names: AB, queueSize: 2 })).toEqual([
      [0, S], [4 * S, 3 * S], [8 * S, 7 * S], [10 * S, 11 * S],
    ]);
  });

  it('LongQueue, queue 5: one set (l, o)', () => {
    const input = [
      [0, 'a'], [S, 'a'], [2 * S, 'a'], [3 * S, 'a'], [4 * S, 'a'], [5 * S, 'a'], [6 * S, 'a'], [7 * S, 'a'],
      [8 * S, 'a'], [3 * S, 'b'], [9 * S, 'a'], [10 * S, 'a'], [11 * S, 'a'], [12 * S, 'a'], [10 * S, 'b'],
      [13 * S, 'a'],
    ] as const;
    expect(feed(input, { names: AB, queueSize: 5 })).toEqual([[10 * S, 10 * S]]);
  });

  it('DoublePublish: one arrival completes two sets', () => {
    const input = [[0, 'a'], [S, 'b'], [3 * S, 'b'], [3 * S, 'a']] as const;
    expect(feed(input, { names: AB, queueSize: 10 })).toEqual([[0, S], [3 * S, 3 * S]]);
  });

  it('FourTopics', () => {
    const input = [
      [0, 'a'], [S, 'b'], [2 * S, 'c'], [3 * S, 'd'], [5 * S, 'a'], [5 * S, 'd'], [6 * S, 'b'], [6 * S, 'c'],
      [8 * S, 'a'], [9 * S, 'b'], [10 * S, 'c'], [11 * S, 'd'], [10 * S, 'a'], [13 * S, 'a'], [14 * S, 'b'],
    ] as const;
    // Note the upstream input has m (10 s) after i (8 s) on topic a, in order.
    expect(feed(input, { names: ABCD, queueSize: 10 })).toEqual([
      [0, S, 2 * S, 3 * S],
      [5 * S, 6 * S, 6 * S, 5 * S],
      [10 * S, 9 * S, 10 * S, 11 * S],
    ]);
  });

  it('EarlyPublish: (a0 b1 c2 d3) is emitted on a7, not later', () => {
    const out: number[][] = [];
    const scheduler = new TestScheduler(() => undefined);
    const make = recordFactory();
    const subject = new Subject<InputRecord<string>>();
    subject
      .pipe(alignApproximateTime<string>({ inputs: ABCD.map((name) => ({ name })) }, scheduler))
      .subscribe((set) => out.push(ABCD.map((n) => set.members[n]?.timeUs ?? Number.NaN)));
    for (const [t, i] of [[0, 'a'], [S, 'b'], [2 * S, 'c'], [3 * S, 'd']] as const) subject.next(make(i, t));
    expect(out).toEqual([]); // not yet provable
    subject.next(make('a', 7 * S));
    expect(out).toEqual([[0, S, 2 * S, 3 * S]]);
  });

  const rated = [[0, 'a'], [S, 'b'], [3 * S, 'a'], [4 * S, 'b'], [6 * S, 'a'], [7 * S, 'b']] as const;

  it('RateBound 1.5 s on a: same output as without (the bound is too weak for the last pair)', () => {
    expect(
      feed(rated, { names: AB, queueSize: 10, inputs: [{ name: 'a', interMessageLowerBoundUs: 1.5 * S }, { name: 'b' }] }),
    ).toEqual([[0, S], [3 * S, 4 * S]]);
  });

  it('RateBound 2 s on a: the last pair is proven on C', () => {
    expect(
      feed(rated, { names: AB, queueSize: 10, inputs: [{ name: 'a', interMessageLowerBoundUs: 2 * S }, { name: 'b' }] }),
    ).toEqual([[0, S], [3 * S, 4 * S], [6 * S, 7 * S]]);
  });
});

describe('alignApproximateTime: issue scenarios', () => {
  it('A 0,3,6 and B 0,3,6 (ms) → (0,0)(3,3)(6,6)', () => {
    const input = [[0, 'a'], [0, 'b'], [3 * MS, 'a'], [3 * MS, 'b'], [6 * MS, 'a'], [6 * MS, 'b']] as const;
    expect(feed(input, { names: AB })).toEqual([[0, 0], [3 * MS, 3 * MS], [6 * MS, 6 * MS]]);
  });

  it('A 0,12,17 and B 7,15,18 (ms) → (12,7)(17,18)', () => {
    const input = [[0, 'a'], [7 * MS, 'b'], [12 * MS, 'a'], [15 * MS, 'b'], [17 * MS, 'a'], [18 * MS, 'b']] as const;
    expect(feed(input, { names: AB })).toEqual([[12 * MS, 7 * MS], [17 * MS, 18 * MS]]);
  });

  const camera = [0, 33, 67, 100, 133, 167, 200, 233, 267, 300].map((ms) => ms * MS);
  const lidar = [5, 105, 205, 305].map((ms) => ms * MS);
  const byArrival = (lidarDelayUs: number): [number, string][] =>
    [
      ...camera.map((t) => ({ t, arrive: t, input: 'camera' })),
      ...lidar.map((t) => ({ t, arrive: t + lidarDelayUs, input: 'lidar' })),
    ]
      .sort((x, y) => x.arrive - y.arrive || (x.input < y.input ? -1 : 1))
      .map((r) => [r.t, r.input]);
  const CL = ['camera', 'lidar'];

  it('camera 30 Hz + LIDAR 10 Hz → (0,5)(100,105)(200,205)', () => {
    expect(feed(byArrival(0), { names: CL })).toEqual([[0, 5 * MS], [100 * MS, 105 * MS], [200 * MS, 205 * MS]]);
  });

  it('the same with LIDAR delivered 150 ms late gives identical output', () => {
    expect(feed(byArrival(150 * MS), { names: CL })).toEqual([[0, 5 * MS], [100 * MS, 105 * MS], [200 * MS, 205 * MS]]);
  });

  it('LIDAR 150 ms late with a queue too small (ROS queue_size 2): losses are reported, never silent', () => {
    const events: AlignEvent[] = [];
    const out = feed(byArrival(150 * MS), { names: CL, queueSize: 2 }, events);
    const expected = [[0, 5 * MS], [100 * MS, 105 * MS], [200 * MS, 205 * MS]];
    // Every expected pair is either emitted or one of its members is reported evicted.
    for (const [c, l] of expected) {
      const emitted = out.some(([oc, ol]) => oc === c && ol === l);
      const reported = events.some(
        (e) => e.type === 'align.evicted' && (e.record?.captureTimeUs === c || e.record?.captureTimeUs === l),
      );
      expect(emitted || reported).toBe(true);
    }
    expect(events.some((e) => e.type === 'align.evicted')).toBe(true);
  });

  it('two 1 Hz streams 1 ms apart: without a bound (0,1) waits for A1000', () => {
    const out: number[][] = [];
    const subject = new Subject<InputRecord<string>>();
    const make = recordFactory();
    subject
      .pipe(alignApproximateTime<string>({ inputs: [{ name: 'a' }, { name: 'b' }] }, new TestScheduler(() => undefined)))
      .subscribe((s) => out.push([s.members['a']?.timeUs ?? -1, s.members['b']?.timeUs ?? -1]));
    subject.next(make('a', 0));
    subject.next(make('b', 1 * MS));
    expect(out).toEqual([]);
    subject.next(make('a', 1000 * MS));
    expect(out).toEqual([[0, 1 * MS]]);
  });

  it('two 1 Hz streams 1 ms apart: with a declared 500 ms bound (0,1) is emitted on B1', () => {
    const out: number[][] = [];
    const subject = new Subject<InputRecord<string>>();
    const make = recordFactory();
    subject
      .pipe(
        alignApproximateTime<string>(
          { inputs: [{ name: 'a', interMessageLowerBoundUs: 500 * MS }, { name: 'b', interMessageLowerBoundUs: 500 * MS }] },
          new TestScheduler(() => undefined),
        ),
      )
      .subscribe((s) => out.push([s.members['a']?.timeUs ?? -1, s.members['b']?.timeUs ?? -1]));
    subject.next(make('a', 0));
    expect(out).toEqual([]);
    subject.next(make('b', 1 * MS));
    expect(out).toEqual([[0, 1 * MS]]);
  });

  it('duplicate (same sensor and seq) is dropped and counted, not matched twice', () => {
    const events: AlignEvent[] = [];
    const diagnostics = createAlignDiagnostics({ onEvent: (e) => events.push(e) });
    const out: ApproximateSet<string>[] = [];
    const make = recordFactory();
    const a0 = make('a', 0);
    of(a0, make('b', 0), a0, make('a', 3 * MS), make('b', 3 * MS))
      .pipe(alignApproximateTime<string>({ inputs: [{ name: 'a' }, { name: 'b' }], diagnostics }, new TestScheduler(() => undefined)))
      .subscribe((s) => out.push(s));
    expect(out.map((s) => s.members['a']?.timeUs)).toEqual([0, 3 * MS]);
    expect(diagnostics.counts()['align.duplicate']).toBe(1);
  });

  it('a replay loop (backward jump) resets the input and matching resumes instead of blocking', () => {
    const events: AlignEvent[] = [];
    const input = [
      [0, 'a'], [0, 'b'], [3 * S, 'a'], [3 * S, 'b'],
      // loop back to t=0 with fresh seq numbers
      [0, 'a'], [0, 'b'], [3 * S, 'a'], [3 * S, 'b'],
    ] as const;
    const out = feed(input, { names: AB, resetOnBackwardJumpUs: S }, events);
    expect(out).toEqual([[0, 0], [3 * S, 3 * S], [0, 0], [3 * S, 3 * S]]);
    expect(events.filter((e) => e.type === 'align.reset').map((e) => e.input)).toEqual(['a', 'b']);
  });

  it('out-of-order record (clock skew within an input) goes to the late side output', () => {
    const events: AlignEvent[] = [];
    const input = [[0, 'a'], [5 * MS, 'a'], [2 * MS, 'a'], [5 * MS, 'b'], [9 * MS, 'a']] as const;
    const out = feed(input, { names: AB }, events);
    expect(out).toEqual([[5 * MS, 5 * MS]]);
    expect(events.flatMap((e) => (e.type === 'align.late' ? [e.record.captureTimeUs] : []))).toEqual([2 * MS]);
  });
});

describe('alignApproximateTime: domain cases', () => {
  it('four inputs a0 b1 c2 d3 (ms), then a7 → (0,1,2,3) emitted on a7', () => {
    const out: number[][] = [];
    const subject = new Subject<InputRecord<string>>();
    const make = recordFactory();
    subject
      .pipe(alignApproximateTime<string>({ inputs: ABCD.map((name) => ({ name })) }, new TestScheduler(() => undefined)))
      .subscribe((set) => out.push(ABCD.map((n) => (set.members[n]?.timeUs ?? Number.NaN) / MS)));
    for (const [t, i] of [[0, 'a'], [1, 'b'], [2, 'c'], [3, 'd']] as const) subject.next(make(i, t * MS));
    expect(out).toEqual([]);
    subject.next(make('a', 7 * MS));
    expect(out).toEqual([[0, 1, 2, 3]]);
  });

  it('clock skew: a configured offset lines up a camera whose clock runs 40 ms behind', () => {
    // Camera stamps 60, 93, 127 (ms) mean rig 100, 133, 167; LIDAR 105 pairs with rig 100.
    const input = [[60 * MS, 'camera'], [105 * MS, 'lidar'], [93 * MS, 'camera'], [127 * MS, 'camera'], [205 * MS, 'lidar']] as const;
    const out = feed(input, { names: ['camera', 'lidar'], clockOffsetsUs: { camera: 40 * MS } });
    expect(out).toEqual([[100 * MS, 105 * MS]]);
    const noOffset = feed(input, { names: ['camera', 'lidar'] });
    // Without it the frame stamped 93 (12 ms from 105, against 22 ms for 127) wins: really rig 133.
    expect(noOffset).toEqual([[93 * MS, 105 * MS]]);
  });

  it('gap: an input silent for 1 s resumes without a wide stale pair (maxIntervalUs)', () => {
    const events: AlignEvent[] = [];
    const input = [
      [0, 'a'], [0, 'b'], [100 * MS, 'a'], [100 * MS, 'b'],
      [200 * MS, 'a'], [300 * MS, 'a'], [1100 * MS, 'b'], [1100 * MS, 'a'], [1200 * MS, 'a'], [1200 * MS, 'b'], [1300 * MS, 'a'],
    ] as const;
    const out = feed(input, { names: AB, maxIntervalUs: 50 * MS }, events);
    expect(out).toEqual([[0, 0], [100 * MS, 100 * MS], [1100 * MS, 1100 * MS], [1200 * MS, 1200 * MS]]);
    // a200 and a300 could not be paired within 50 ms: reported, not silently lost.
    expect(events.flatMap((e) => (e.type === 'align.dropped' ? [e.record.captureTimeUs / MS] : [])).sort((x, y) => x - y)).toEqual([200, 300]);
  });

  it('dead stream: with b dead, a is held only up to queueSize and each eviction is reported', () => {
    const events: AlignEvent[] = [];
    const input = Array.from({ length: 100 }, (_, k) => [k * 10 * MS, 'a'] as const);
    const out = feed(input, { names: AB, queueSize: 8 }, events);
    expect(out).toEqual([]);
    expect(events.filter((e) => e.type === 'align.evicted')).toHaveLength(92);
  });
});

describe('alignApproximateTime: RxJS operator contract (marbles, 1 frame = 1 ms)', () => {
  const make = recordFactory();
  const values = { a: make('a', 0), b: make('b', 1 * MS), c: make('a', 100 * MS) };
  const op = (scheduler: TestScheduler) =>
    alignApproximateTime<string>({ inputs: [{ name: 'a' }, { name: 'b' }] }, scheduler);
  const pair = map((s: ApproximateSet<string>) => `${s.members['a']?.timeUs}/${s.members['b']?.timeUs}`);

  it('nominal: a0 b1 pair is emitted when a100 proves it, 100 ms later', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a 1ms b 98ms c 9ms |', values).pipe(op(ts), pair)).toBe('101ms x 9ms |', { x: `0/${MS}` });
    });
  });

  itHonoursTheOperatorContract(op, values);
});
