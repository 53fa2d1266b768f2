import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KafkaBus } from './kafka-bus.js';
import { kafkajsRequestQueueFix } from './kafkajs-request-queue-fix.js';

interface RequestQueue {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: unknown;
  inflight: Map<number, object>;
  checkPendingRequests(): void;
  destroy(): void;
}

const require = createRequire(import.meta.url);
// The request queue every kafkajs broker connection owns (the instance KafkaBus's kafkajs uses).
const RequestQueueClass = require('kafkajs/src/network/requestQueue/index.js') as new (options: object) => RequestQueue;
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const makeQueue = (): RequestQueue =>
  new RequestQueueClass({ maxInFlightRequests: 1, requestTimeout: 30_000, enforceRequestTimeout: false, clientId: 'spec', broker: '127.0.0.1:1', logger: silent });

afterEach(() => {
  vi.useRealTimers();
});

describe('kafkajs request queue fix', () => {
  it('is applied to the kafkajs KafkaBus loads', () => {
    expect(new KafkaBus({ brokers: ['127.0.0.1:1'] })).toBeInstanceOf(KafkaBus);
    expect(kafkajsRequestQueueFix).toBe('patched');
  });

  it('leaves an idle connection without a timer: a check with nothing pending and no throttle schedules nothing', () => {
    vi.useFakeTimers();
    const queue = makeQueue();
    const checks = vi.spyOn(queue, 'checkPendingRequests');
    queue.checkPendingRequests();
    // kafkajs 2.2.4 re-armed a 1 ms timer here forever: 1000 checks in one second of idling.
    vi.advanceTimersByTime(1000);
    expect(checks).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
    queue.destroy();
  });

  it('still checks pending requests after a broker throttle ends, and every 10 ms while requests are in flight', () => {
    vi.useFakeTimers();
    const queue = makeQueue();
    const checks = vi.spyOn(queue, 'checkPendingRequests');
    queue.pending.push({ correlationId: 1 });
    queue.throttledUntil = Date.now() + 250;
    queue.checkPendingRequests(); // the real check: cannot send while throttled, schedules the next one
    checks.mockImplementation(() => undefined); // later checks are only counted
    vi.advanceTimersByTime(249);
    expect(checks).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(checks).toHaveBeenCalledTimes(2);
    queue.destroy();

    const busy = makeQueue();
    const busyChecks = vi.spyOn(busy, 'checkPendingRequests');
    busy.pending.push({ correlationId: 2 });
    busy.inflight.set(1, {}); // maxInFlightRequests 1 reached: the pending one waits
    busy.checkPendingRequests();
    busyChecks.mockImplementation(() => undefined);
    vi.advanceTimersByTime(9);
    expect(busyChecks).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(busyChecks).toHaveBeenCalledTimes(2);
    busy.destroy();
  });
});
