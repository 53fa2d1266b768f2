import { map, mergeMap, of, type Observable, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { expect, it } from 'vitest';

export function newTestScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => {
    expect(actual).toEqual(expected);
  });
}

/**
 * The fixed list RxJS checks for its own operators: empty, never, error, early unsubscribe and
 * unsubscription chain. `make` builds the operator on the test scheduler; `values` feeds `a`/`b`.
 */
export function itHonoursTheOperatorContract<T, R>(
  make: (scheduler: TestScheduler) => OperatorFunction<T, R>,
  values: Readonly<Record<string, T>>,
  /** 'passed': the operator forwards `a` at once (filters); 'held': it holds `a` (aligners). */
  firstValue: 'held' | 'passed' = 'held',
): void {
  const passed = firstValue === 'passed';
  it('empty: completes without output', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<T>('|');
      expectObservable(source.pipe(make(ts))).toBe('|');
      expectSubscriptions(source.subscriptions).toBe('(^!)');
    });
  });

  it('never: stays silent and open', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold<T>('-').pipe(make(ts)), '^ 5s !').toBe('-');
    });
  });

  it('error: forwards the source error', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<T>('a 9ms #', values, new Error('sensor down'));
      // Outputs are compared by position only (v = any value): what they contain is each spec's business.
      expectObservable(source.pipe(make(ts), map(() => 'v'))).toBe(passed ? 'v 9ms #' : '10ms #', { v: 'v' }, new Error('sensor down'));
      expectSubscriptions(source.subscriptions).toBe('^ 9ms !');
    });
  });

  it('early unsubscribe: releases the source and leaves no timer running', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<T>('a 9ms b 9s |', values);
      expectObservable(source.pipe(make(ts), map(() => 'v')), '^ 4ms !').toBe(passed ? 'v' : '-', { v: 'v' });
      expectSubscriptions(source.subscriptions).toBe('^ 4ms !');
    });
    // No scheduled action survives the unsubscription.
    expect((ts as unknown as { actions: unknown[] }).actions.length).toBe(0);
  });

  it('unsubscription chain: unsubscribing downstream of mergeMap releases the source', () => {
    const ts = newTestScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<T>('a 9ms b 9s |', values);
      const chained: Observable<string> = source.pipe(
        mergeMap((x) => of(x)),
        make(ts),
        mergeMap((x: R) => of(x)),
        map(() => 'v'),
      );
      expectObservable(chained, '^ 4ms !').toBe(passed ? 'v' : '-', { v: 'v' });
      expectSubscriptions(source.subscriptions).toBe('^ 4ms !');
    });
  });
}
