import { map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { itHonoursTheOperatorContract, newTestScheduler } from './contract.spec-helper.js';
import { createAlignDiagnostics, type AlignEvent } from './diagnostics.js';
import { dropLate } from './dropLate.js';
import { recordFactory } from './testing.js';

const MS = 1_000;

describe('dropLate', () => {
  const make = recordFactory();
  const values = {
    a: make('lidar', 0),
    b: make('lidar', 100 * MS),
    c: make('lidar', 200 * MS),
    j: make('lidar', 130 * MS), // 70 ms behind the newest (200): within 80 ms of allowed out-of-orderness
    l: make('lidar', 110 * MS), // 90 ms behind: late
    r: make('lidar', 5 * MS), // a replay loop back to the start (−195 ms … beyond the 150 ms reset threshold)
    x: make('camera', 20 * MS), // another input has its own watermark
  };
  const op = (ts: TestScheduler) => dropLate<string>({ maxOutOfOrderUs: 80 * MS, resetOnBackwardJumpUs: 150 * MS }, ts);

  it('nominal: a 10 Hz LIDAR in order passes', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a 99ms b 99ms c|', values).pipe(op(ts))).toBe('a 99ms b 99ms c|', values);
    });
  });

  it('late record and clock skew: within maxOutOfOrderUs passes, beyond goes to the late side output', () => {
    const ts = newTestScheduler();
    const events: AlignEvent[] = [];
    ts.run(({ cold, expectObservable }) => {
      const out = cold('a b c j l x|', values).pipe(
        dropLate<string>(
          { maxOutOfOrderUs: 80 * MS, diagnostics: createAlignDiagnostics({ onEvent: (e) => events.push(e) }) },
          ts,
        ),
      );
      expectObservable(out).toBe('a b c j - x|', values);
    });
    // Watermark = 200 − 80 = 120 ms; 110 is behind it.
    expect(events).toEqual([
      { type: 'align.late', input: 'lidar', record: values.l.record, reason: 'behind-watermark', watermarkUs: 120 * MS, atUs: 4 * MS },
    ]);
  });

  it('replay loop: a jump back beyond the threshold resets instead of dropping the whole loop', () => {
    const ts = newTestScheduler();
    const events: AlignEvent[] = [];
    ts.run(({ cold, expectObservable }) => {
      const out = cold('a b c r|', values).pipe(
        dropLate<string>(
          { maxOutOfOrderUs: 80 * MS, resetOnBackwardJumpUs: 150 * MS, diagnostics: createAlignDiagnostics({ onEvent: (e) => events.push(e) }) },
          ts,
          ),
        map((x) => x.record.captureTimeUs / MS),
      );
      expectObservable(out).toBe('a b c r|', { a: 0, b: 100, c: 200, r: 5 });
    });
    expect(events.map((e) => e.type === 'align.reset' && [e.fromUs, e.toUs])).toEqual([[200 * MS, 5 * MS]]);
  });

  it('gap: a long silence followed by newer records is not late', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a 5s c|', values).pipe(op(ts))).toBe('a 5s c|', values);
    });
  });

  itHonoursTheOperatorContract(op, values, 'passed');
});
