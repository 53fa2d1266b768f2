import { seededRandom } from '@sensorfuse/random';
import { map, merge, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { itHonoursTheOperatorContract, newTestScheduler } from './contract.spec-helper.js';
import { estimateClockOffset, type SensorClockEstimate } from './estimateClockOffset.js';
import { recordAt, recordFactory } from './testing.js';

const MS = 1_000;

describe('estimateClockOffset', () => {
  it('recovers a 5 ms offset and a 100 ppm drift from jittery arrivals', () => {
    // Truth: the IMU clock reads 5 ms behind the rig and loses 100 µs per second; transport delay is
    // 1 ms plus up to 9 ms of jitter. So arrival − capture = delay + 5000 + 1e-4·t (µs), and its
    // floor is 6000 + 1e-4·t: offset estimate ≈ 6000 + 100·(seconds), drift ≈ +100 ppm.
    const random = seededRandom(7);
    const ts = new TestScheduler(() => undefined);
    const make = recordFactory();
    const arrivals = [];
    for (let k = 0; k < 6000; k += 1) {
      const trueUs = k * 10 * MS; // 100 Hz for 60 s
      const captureUs = trueUs - 5 * MS - 1e-4 * trueUs;
      const arriveUs = trueUs + 1 * MS + random() * 9 * MS;
      const r = make('imu', Math.round(captureUs));
      arrivals.push(timer(arriveUs / MS, ts).pipe(map(() => r)));
    }
    const out: SensorClockEstimate[] = [];
    merge(...arrivals)
      .pipe(estimateClockOffset({ windowUs: 2_000 * MS, windows: 10, reportEveryRecords: 1000 }, ts))
      .subscribe((e) => out.push(e));
    ts.maxFrames = Number.POSITIVE_INFINITY;
    ts.flush();
    const last = out.at(-1);
    expect(out).toHaveLength(6);
    expect(last?.sensorId).toBe('imu');
    const seconds = 58; // the newest closed window's minimum lies in [56 s, 58 s)
    expect(Math.abs((last?.offsetUs ?? 0) - (6000 + 100 * seconds))).toBeLessThan(250);
    expect(Math.abs((last?.driftPpm ?? 0) - 100)).toBeLessThan(10);
  });

  const values = { a: recordAt('imu', 0, { seq: 1 }), b: recordAt('imu', 2_500, { seq: 2 }) };
  const op = (ts: TestScheduler) => estimateClockOffset<string>({ windowUs: 1_000 * MS, windows: 4, reportEveryRecords: 1 }, ts);

  it('nominal (marbles): one estimate per record, offset = arrival − capture', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectObservable }) => {
      const out = cold('a 9ms b|', values).pipe(op(ts), map((e) => e.offsetUs));
      // a: arrives at 0 ms, captured 0 → 0 µs; b: arrives at 10 ms (10 000 µs), captured 2 500 µs →
      // the window minimum is still 0 (same 1 s window).
      expectObservable(out).toBe('a 9ms b|', { a: 0, b: 0 });
    });
  });

  itHonoursTheOperatorContract(op, values, 'passed');
});
