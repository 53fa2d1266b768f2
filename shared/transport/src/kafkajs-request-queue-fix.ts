/**
 * kafkajs 2.2.4 (the last release) re-arms a timer in every connection's request queue whenever
 * it checks for pending requests, also when nothing is pending and nothing is throttled: the
 * timeout is then negative (`throttledUntil` is -1), so Node runs it after 1 ms, and the check
 * re-arms it again. Every broker connection of every process spins a 1 kHz timer for its whole life
 * (tulios/kafkajs#1556, #1604, #1704; the fix of #1768 / Charon, unreleased in kafkajs). On the
 * two-core benchmark machine that was a constant load in each of the eight processes of a
 * deployed pipeline.
 *
 * This replaces `RequestQueue.prototype.scheduleCheckPendingRequests` with the upstream fix: a
 * check is scheduled only while requests are pending (after the throttle, or every 10 ms as
 * before) or while the broker throttles the client; otherwise the next `push` or fulfilled request
 * checks the queue anyway, as the original comment says. Applied once, only to the kafkajs version
 * it was written for; any other version is left alone.
 */
import { createRequire } from 'node:module';

const PATCHED_VERSION = '2.2.4';
/** kafkajs's own CHECK_PENDING_REQUESTS_INTERVAL. */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueLike {
  throttledUntil: number;
  throttleCheckTimeoutId: ReturnType<typeof setTimeout> | null | undefined;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** What happened when the module loaded: 'patched', or why not. */
export let kafkajsRequestQueueFix: 'patched' | 'other-version' | 'not-found' = 'not-found';

function scheduleCheckPendingRequests(this: RequestQueueLike): void {
  if (this.throttleCheckTimeoutId !== null && this.throttleCheckTimeoutId !== undefined) return;
  let scheduleAt = this.throttledUntil - Date.now();
  if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL_MS;
  else if (scheduleAt <= 0) return; // nothing pending, not throttled: nothing to check until the next push
  this.throttleCheckTimeoutId = setTimeout(() => {
    this.throttleCheckTimeoutId = null;
    this.checkPendingRequests();
  }, scheduleAt);
}

try {
  const require = createRequire(import.meta.url);
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== PATCHED_VERSION) {
    kafkajsRequestQueueFix = 'other-version';
  } else {
    const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueueLike } | undefined;
    if (typeof RequestQueue?.prototype.scheduleCheckPendingRequests === 'function') {
      RequestQueue.prototype.scheduleCheckPendingRequests = scheduleCheckPendingRequests;
      kafkajsRequestQueueFix = 'patched';
    }
  }
} catch {
  kafkajsRequestQueueFix = 'not-found';
}
