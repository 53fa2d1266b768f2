import { TransientError } from '@sensorfuse/errors';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { decodeOrDeadLetter } from './dead-letter.js';
import type { ConsumedRecord } from './types.js';

class RegistryDown extends TransientError {}

const record = (offset: number, text: string): ConsumedRecord => ({
  topic: 'raw.motion',
  partition: 0,
  offset: String(offset),
  key: 'rig-1',
  rawKey: Buffer.from('rig-1'),
  value: Buffer.from(text),
  headers: {},
  timestampUs: 1_700_000_000_000_000,
  commit: () => Promise.resolve(),
});

const noBus = { publish: () => Promise.reject(new Error('no dead letters expected in this spec')) };

/** Fails `failures` times per record with a retriable error, then returns the text. */
function flaky(failures: number): (r: ConsumedRecord) => string {
  const seen = new Map<string, number>();
  return (r) => {
    const n = seen.get(r.offset) ?? 0;
    seen.set(r.offset, n + 1);
    if (n < failures) throw new RegistryDown('schema registry unreachable');
    return r.value.toString();
  };
}

describe('decodeOrDeadLetter back-off (marbles)', () => {
  const scheduler = (): TestScheduler =>
    new TestScheduler((actual, expected) => {
      expect(actual).toEqual(expected);
    });

  it('passes records through in order when decoding succeeds', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a 99ms b|', { a: record(0, 'a'), b: record(1, 'b') });
      const out = source.pipe(decodeOrDeadLetter({ bus: noBus, decode: (r) => r.value.toString() }), map((d) => d.value));
      expectObservable(out).toBe('a 99ms b|', { a: 'a', b: 'b' });
    });
  });

  it('completes at once on an empty stream and never emits on a silent one', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<ConsumedRecord>('|').pipe(decodeOrDeadLetter({ bus: noBus, decode: () => 1 }))).toBe('|');
      expectObservable(cold<ConsumedRecord>('-').pipe(decodeOrDeadLetter({ bus: noBus, decode: () => 1 }))).toBe('-');
    });
  });

  it('retries a retriable failure after 100 ms, then 200 ms, holding back later records', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a b|', { a: record(0, 'a'), b: record(1, 'b') });
      const out = source.pipe(decodeOrDeadLetter({ bus: noBus, decode: flaky(2) }), map((d) => d.value));
      // a: fails at 0, 100; succeeds at 300. b: fails at 300, 400; succeeds at 600.
      expectObservable(out).toBe('300ms a 299ms (b|)', { a: 'a', b: 'b' });
    });
  });

  it('errors with the retriable error after the last retry instead of dead-lettering', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a|', { a: record(0, 'a') });
      const out = source.pipe(decodeOrDeadLetter({ bus: noBus, decode: flaky(10), maxRetries: 3, maxBackoffMs: 250 }));
      // Retries after 100, 200, then 250 (capped) ms; the fourth failure at 550 ms ends the stream.
      expectObservable(out).toBe('550ms #', undefined, new RegistryDown('schema registry unreachable'));
    });
  });

  it('stops retrying when unsubscribed early', () => {
    let calls = 0;
    const failing = flaky(10);
    const decode = (r: ConsumedRecord): string => {
      calls += 1;
      return failing(r);
    };
    scheduler().run(({ cold, expectObservable }) => {
      const out = cold('a|', { a: record(0, 'a') }).pipe(decodeOrDeadLetter({ bus: noBus, decode }));
      expectObservable(out, '^ 150ms !').toBe('-');
    });
    // Attempts at 0 and 100 ms only; the one due at 300 ms never runs after the unsubscription.
    expect(calls).toBe(2);
  });
});
