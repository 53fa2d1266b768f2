import { map, of, throwError, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { concatBatches } from './concatBatches.js';

/** A projection that takes 10 ms (one publish round trip) and emits the batch it was given. */
const roundTrip = (batch: readonly string[]) => timer(10).pipe(map(() => batch.join('')));

describe('concatBatches (marbles)', () => {
  const scheduler = (): TestScheduler =>
    new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });

  it('starts a lone item at once and hands the items that arrived meanwhile to the next call as one batch', () => {
    scheduler().run(({ cold, expectObservable }) => {
      // a at 0 goes alone; b (4 ms) and c (8 ms) arrive during its round trip and go together at 10;
      // d (29 ms) finds nothing running and goes alone; completion waits for it.
      const source = cold('a 3ms b 3ms c 20ms d|');
      expectObservable(source.pipe(concatBatches(roundTrip))).toBe('10ms a 9ms b 18ms (d|)', { a: 'a', b: 'bc', d: 'd' });
    });
  });

  it('caps a batch at maxBatch and keeps the rest, in order, for the next call', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('abcd|');
      expectObservable(source.pipe(concatBatches(roundTrip, { maxBatch: 2 }))).toBe('10ms a 9ms b 9ms (d|)', { a: 'a', b: 'bc', d: 'd' });
    });
  });

  it('is concatMap item by item when the projection completes synchronously', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a 99ms b c|');
      expectObservable(source.pipe(concatBatches((batch) => of(batch.join('+'))))).toBe('a 99ms b c|');
    });
  });

  it('completes at once on an empty stream and stays silent on a silent one', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('|').pipe(concatBatches(roundTrip))).toBe('|');
      expectObservable(cold('-').pipe(concatBatches(roundTrip))).toBe('-');
    });
  });

  it('passes a source error on at once, dropping the batch in flight', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold('a 3ms #').pipe(concatBatches(roundTrip))).toBe('4ms #');
    });
  });

  it('fails on a failing projection and takes no later batch', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const project = (batch: readonly string[]) => (batch.includes('x') ? throwError(() => new Error('publish failed')) : roundTrip(batch));
      expectObservable(cold('a x 20ms b|').pipe(concatBatches(project))).toBe('10ms (a#)', { a: 'a' }, new Error('publish failed'));
    });
  });

  it('unsubscribes from the source and the running projection on early unsubscribe', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a 3ms b 30ms c|');
      const inner = cold('10ms (z|)');
      const out = source.pipe(concatBatches(() => inner));
      expectObservable(out, '^ 14ms !').toBe('10ms z', { z: 'z' });
      expectSubscriptions(source.subscriptions).toBe('^ 14ms !');
      // The first projection ran 0–10 ms; the second (b) started at 10 and was cut at 15.
      expectSubscriptions(inner.subscriptions).toBe(['^ 9ms !', '10ms ^ 4ms !']);
    });
  });

  it('rejects a batch size that is not a positive integer', () => {
    expect(() => concatBatches(roundTrip, { maxBatch: 0 })).toThrow(RangeError);
  });
});
