/**
 * A fusion worker process for test/fusion-crash.spec.ts and test/fusion-scale.spec.ts: createFusionWorker on
 * a KafkaBus and a RedisStateStore, with its instance id on every output record. Prints "published <n>"
 * each time its committed frame count rises. SIGTERM drains and exits 0; SIGKILL is the crash.
 *   node --conditions=source --import tsx test/fusion-crash-child.ts '<ChildOptions as JSON>'
 */
import { createFusionWorker, loadFusionConfig } from '@sensorfuse/fusion-worker';
import { RedisStateStore } from '@sensorfuse/state';
import { KafkaBus } from '@sensorfuse/transport';
import type { ChildOptions } from './fusion-crash-support.js';

/**
 * Processing time a frame waits for a lagging input (align.timeoutUs): after a restart the backlog of each
 * input topic arrives in its own batches, seconds of LIDAR sweeps before the motion that goes with them;
 * the default 200 ms would emit those frames without motion.
 */
const CATCH_UP_TIMEOUT_US = 2_000_000;

const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const base = loadFusionConfig({});
const config = { ...base, topics: options.topics, groupId: options.groupId, align: { ...base.align, timeoutUs: CATCH_UP_TIMEOUT_US } };
const bus = new KafkaBus({ brokers: options.brokers, logLevel: 'error', transactionalId: options.transactionalId, sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 });
const store = await RedisStateStore.connect(options.redisUrl, { keyPrefix: options.keyPrefix });
const log = (level: string) => (fields: object, message: string) => {
  process.stderr.write(`${JSON.stringify({ level, instance: options.instanceId, msg: message, ...fields })}\n`);
};
const quiet = () => undefined;
const logger = { error: log('error'), warn: log('warn'), info: process.env.FUSION_CHILD_DEBUG === undefined ? quiet : log('info'), debug: quiet };
if (process.env.FUSION_CHILD_DEBUG !== undefined) {
  setInterval(() => {
    const s = worker.stats();
    logger.info({ consumed: s.consumed, processed: s.processed, frames: s.frames, published: s.published, rigs: s.cores }, 'stats');
  }, 3000).unref();
}
const worker = createFusionWorker(bus, config, store, { logger, instanceId: options.instanceId, fencingId: options.transactionalId });
let reported = 0;
const report = () => {
  const published = worker.stats().published;
  if (published !== reported) {
    reported = published;
    process.stdout.write(`published ${String(published)}\n`);
  }
};
const timer = setInterval(report, 2);
worker.start((err) => {
  process.stderr.write(`fusion child ${options.instanceId}: fatal ${String(err)}\n`);
  process.exit(3);
});
// The test process holds our stdin: when it goes (a crashed or timed-out test), so do we.
process.stdin.resume();
process.stdin.once('end', () => process.exit(4));
process.once('SIGTERM', () => {
  void (async () => {
    await worker.drain();
    report();
    clearInterval(timer);
    await bus.close();
    await store.close();
    process.exit(0);
  })();
});
