import fc from 'fast-check';
import { map, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { itHonoursTheOperatorContract, newTestScheduler } from './contract.spec-helper.js';
import { createAlignDiagnostics, type AlignEvent } from './diagnostics.js';
import { mergeInCaptureOrder, type MergeInCaptureOrderConfig } from './mergeInCaptureOrder.js';
import { recordFactory } from './testing.js';
import type { InputRecord } from './types.js';

const MS = 1_000;

function collect(config: MergeInCaptureOrderConfig, inputs: readonly InputRecord<string>[], events: AlignEvent[] = []): number[] {
  const out: number[] = [];
  const subject = new Subject<InputRecord<string>>();
  subject
    .pipe(
      mergeInCaptureOrder<string>(
        { ...config, diagnostics: createAlignDiagnostics({ onEvent: (e) => events.push(e) }) },
        new TestScheduler(() => undefined),
      ),
    )
    .subscribe((r) => out.push(r.record.captureTimeUs));
  for (const r of inputs) subject.next(r);
  return out;
}

describe('mergeInCaptureOrder: stream merge in capture order', () => {
  // Four inputs with a declared 4 ms period: a = 1,5,9  b = 2,6  c = 3,7  d = 4,8 (ms).
  const inputs = ['a', 'b', 'c', 'd'].map((name) => ({ name, minIntervalUs: 4 * MS }));
  const inputOf = (t: number): string => ['d', 'a', 'b', 'c'][t % 4] ?? 'a';

  it('records 3,1,7,5,2,9,4,8,6 spread over four inputs come out 1…9, each as soon as it is safe', () => {
    const make = recordFactory();
    const out: number[] = [];
    const subject = new Subject<InputRecord<string>>();
    subject
      .pipe(mergeInCaptureOrder<string>({ inputs }, new TestScheduler(() => undefined)))
      .subscribe((r) => out.push(r.record.captureTimeUs / MS));
    const releasedAfter: number[][] = [];
    for (const t of [3, 1, 7, 5, 2, 9, 4, 8, 6]) {
      subject.next(make(inputOf(t), t * MS));
      releasedAfter.push([...out]);
    }
    expect(out).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // By hand: after d4 every input has spoken; the earliest next record is b ≥ 2+4 = 6, so 1…5 are safe.
    expect(releasedAfter[6]).toEqual([1, 2, 3, 4, 5]);
    // b6 lifts b's bound to 10; the others are past 9 already (a 13, c 11, d 12).
    expect(releasedAfter[8]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a record arriving after later ones were released goes to the late output and the counter', () => {
    const make = recordFactory();
    const events: AlignEvent[] = [];
    const diagnostics = createAlignDiagnostics({ onEvent: (e) => events.push(e) });
    const out: number[] = [];
    const subject = new Subject<InputRecord<string>>();
    subject
      .pipe(mergeInCaptureOrder<string>({ inputs, diagnostics }, new TestScheduler(() => undefined)))
      .subscribe((r) => out.push(r.record.captureTimeUs / MS));
    for (const t of [3, 1, 7, 5, 2, 9, 4, 8, 6]) subject.next(make(inputOf(t), t * MS));
    subject.next(make('c', 5 * MS)); // c already sent 7: 5 can no longer be placed in order
    expect(out).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events.flatMap((e) => (e.type === 'align.late' ? [[e.input, e.record.captureTimeUs / MS]] : []))).toEqual([['c', 5]]);
    expect(diagnostics.counts()['align.late']).toBe(1);
  });

  it('duplicates are dropped and counted', () => {
    const make = recordFactory();
    const events: AlignEvent[] = [];
    const r = make('a', 1 * MS);
    const out = collect({ inputs: [{ name: 'a', maxOutOfOrderUs: 5 * MS }] }, [r, r, make('a', 20 * MS)], events);
    expect(out).toEqual([1 * MS]);
    expect(events.map((e) => e.type)).toEqual(['align.duplicate']);
  });

  it('an idle input stops holding the merge back (dead stream)', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectObservable }) => {
      const make = recordFactory();
      const values = { x: make('a', 0), y: make('a', 10 * MS) };
      const out = cold('x 9ms y', values).pipe(
        mergeInCaptureOrder<string>(
          { inputs: [{ name: 'a', maxOutOfOrderUs: 1 * MS }, { name: 'b', idleTimeoutUs: 100 * MS }] },
          ts,
        ),
        map((r) => r.record.captureTimeUs / MS),
      );
      // b never speaks: after 100 ms it is idle and a's records flow (those behind a's watermark).
      expectObservable(out).toBe('100ms 0', { 0: 0 });
    });
  });

  it('clock skew: a configured clock offset orders the camera by rig time', () => {
    const make = recordFactory();
    const out = collect(
      { inputs: [{ name: 'camera', minIntervalUs: 30 * MS }, { name: 'lidar', minIntervalUs: 90 * MS }], clockOffsetsUs: { camera: 20 * MS } },
      [make('camera', 0), make('lidar', 10 * MS), make('camera', 33 * MS), make('lidar', 110 * MS), make('camera', 67 * MS)],
    );
    // Camera rig times 20, 53, 87; LIDAR 10, 110. Bounds after the last record: camera 87 + 30 = 117,
    // LIDAR 110 + 90 = 200, so everything below 117 is out, in rig-time order: 10, 20, 53, 87, 110.
    expect(out).toEqual([10 * MS, 0, 33 * MS, 67 * MS, 110 * MS]);
  });

  it('gap: after a long silence of every input, newer records are neither late nor held', () => {
    const make = recordFactory();
    const events: AlignEvent[] = [];
    const inputs = [{ name: 'a', minIntervalUs: 10 * MS }, { name: 'b', minIntervalUs: 10 * MS }];
    const out = collect({ inputs }, [make('a', 0), make('b', 5 * MS), make('a', 10_000 * MS), make('b', 10_005 * MS)], events);
    // Bounds: a 10 000 + 10, b 10 005 + 10 → everything below 10 010 ms is released.
    expect(out).toEqual([0, 5 * MS, 10_000 * MS, 10_005 * MS]);
    expect(events).toEqual([]);
  });

  it('property: any arrival order within maxOutOfOrderUs gives exactly the in-order output', () => {
    const maxOutOfOrderUs = 30 * MS;
    const names = ['lidar', 'camera', 'audio', 'motion'];
    const stream = fc.record({
      periodMs: fc.integer({ min: 2, max: 60 }),
      phaseMs: fc.integer({ min: 0, max: 60 }),
      count: fc.integer({ min: 0, max: 12 }),
    });
    fc.assert(
      fc.property(
        fc.array(stream, { minLength: 4, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: maxOutOfOrderUs }), { minLength: 48, maxLength: 48 }),
        (streams, delays) => {
          const make = recordFactory();
          const all: { r: InputRecord<string>; arriveUs: number; order: number }[] = [];
          streams.forEach((s, i) => {
            for (let k = 0; k < s.count; k += 1) {
              const t = (s.phaseMs + k * s.periodMs) * MS;
              all.push({ r: make(names[i] ?? 'x', t), arriveUs: t + (delays[all.length] ?? 0), order: i });
            }
          });
          const config = { inputs: names.map((name) => ({ name, maxOutOfOrderUs })) };
          // In-order reference: sorted by capture time, then input order (the documented tie rule).
          const expected = [...all]
            .sort((x, y) => x.r.record.captureTimeUs - y.r.record.captureTimeUs || x.order - y.order)
            .map((x) => `${x.r.input}@${x.r.record.captureTimeUs}`);
          const byArrival = [...all].sort((x, y) => x.arriveUs - y.arriveUs).map((x) => x.r);
          const events: AlignEvent[] = [];
          const out: string[] = [];
          const subject = new Subject<InputRecord<string>>();
          subject
            .pipe(
              mergeInCaptureOrder<string>(
                { ...config, diagnostics: createAlignDiagnostics({ onEvent: (e) => events.push(e) }) },
                new TestScheduler(() => undefined),
              ),
            )
            .subscribe((x) => out.push(`${x.input}@${x.record.captureTimeUs}`));
          for (const r of byArrival) subject.next(r);
          subject.complete();
          expect(events).toEqual([]);
          expect(out).toEqual(expected);
        },
      ),
      { numRuns: 3000, seed: 20261127 },
    );
  });
});

describe('mergeInCaptureOrder: RxJS operator contract (marbles, 1 frame = 1 ms)', () => {
  const make = recordFactory();
  const values = { a: make('a', 5 * MS), b: make('b', 0), c: make('a', 1 * MS) };
  const op = (ts: TestScheduler) =>
    mergeInCaptureOrder<string>({ inputs: [{ name: 'a', maxOutOfOrderUs: 10 * MS }, { name: 'b' }] }, ts);

  it('nominal: a5 waits for b0, then out-of-order a1 is still placed in order at completion', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectObservable }) => {
      const out = cold('a 9ms b 9ms c 9ms |', values).pipe(op(ts), map((r) => r.record.captureTimeUs / MS));
      // a's watermark is 5 − 10 = −5 ms, so even b0 could still be preceded by an a record: nothing is
      // provably safe before completion, which releases everything in capture order.
      expectObservable(out).toBe('30ms (xyz|)', { x: 0, y: 1, z: 5 });
    });
  });

  itHonoursTheOperatorContract(op, values);
});
