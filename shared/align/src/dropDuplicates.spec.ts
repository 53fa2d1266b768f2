import { map } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { itHonoursTheOperatorContract, newTestScheduler } from './contract.spec-helper.js';
import { createAlignDiagnostics, type AlignEvent } from './diagnostics.js';
import { dropDuplicates } from './dropDuplicates.js';
import { recordAt } from './testing.js';

const MS = 1_000;

describe('dropDuplicates', () => {
  const values = {
    a: recordAt('camera', 0, { seq: 1 }),
    b: recordAt('camera', 33 * MS, { seq: 2 }),
    c: recordAt('camera', 67 * MS, { seq: 3 }),
    o: recordAt('camera', 0, { sensorId: 'cam-right', seq: 1 }), // same seq, other sensor: not a duplicate
  };
  const op = (ts: TestScheduler) => dropDuplicates<string>({}, ts);

  it('nominal: a camera at 30 Hz passes unchanged', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a 32ms b 33ms c|', values).pipe(op(ts))).toBe('a 32ms b 33ms c|', values);
    });
  });

  it('duplicate: a redelivered record (same sensor and seq) is dropped and reported with its time', () => {
    const ts = newTestScheduler();
    const events: AlignEvent[] = [];
    ts.run(({ cold, expectObservable }) => {
      const out = cold('a 32ms b 9ms b 9ms o|', values).pipe(
        dropDuplicates<string>({ diagnostics: createAlignDiagnostics({ onEvent: (e) => events.push(e) }) }, ts),
        map((r) => `${r.record.sensorId}/${r.record.seq}`),
      );
      expectObservable(out).toBe('a 32ms b 19ms o|', { a: 'camera/1', b: 'camera/2', o: 'cam-right/1' });
    });
    expect(events).toEqual([{ type: 'align.duplicate', input: 'camera', record: values.b.record, atUs: 43 * MS }]);
  });

  it('a late redelivery of an old seq is still caught within the window', () => {
    const ts = newTestScheduler();
    const events: AlignEvent[] = [];
    ts.run(({ cold, expectObservable }) => {
      const out = cold('a b c a|', values).pipe(
        dropDuplicates<string>({ dedupWindowRecords: 8, diagnostics: createAlignDiagnostics({ onEvent: (e) => events.push(e) }) }, ts),
      );
      expectObservable(out).toBe('a b c -|', values);
    });
    expect(events).toHaveLength(1);
  });

  it('a counter that starts again (same seq, later capture time: a device reboot) is not a duplicate', () => {
    const ts = newTestScheduler();
    const events: AlignEvent[] = [];
    const restarted = { a2: recordAt('camera', 100 * MS, { seq: 1 }), b2: recordAt('camera', 133 * MS, { seq: 2 }) };
    ts.run(({ cold, expectObservable }) => {
      const all = { ...values, ...restarted };
      const out = cold('a b x y y|', { ...all, x: restarted.a2, y: restarted.b2 }).pipe(
        dropDuplicates<string>({ diagnostics: createAlignDiagnostics({ onEvent: (e) => events.push(e) }) }, ts),
        map((r) => `${String(r.record.seq)}@${String(r.record.captureTimeUs / MS)}`),
      );
      // seq 1 and 2 again at 100 and 133 ms pass; the second copy of the restarted seq 2 is a redelivery.
      expectObservable(out).toBe('a b x y -|', { a: '1@0', b: '2@33', x: '1@100', y: '2@133' });
    });
    expect(events).toHaveLength(1);
  });

  itHonoursTheOperatorContract(op, values, 'passed');
});
