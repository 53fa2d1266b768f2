/**
 * A fusion worker process for test/fusion-exactly-once.spec.ts to SIGKILL: it runs createFusionWorker on
 * a KafkaBus and a RedisStateStore and prints "published <n>" each time its committed frame count rises.
 *   node --conditions=source --import tsx test/fusion-worker-child.ts <brokers> <redisUrl> <keyPrefix> <transactionalId> <configJson>
 */
import { createFusionWorker, loadFusionConfig } from '@sensorfuse/fusion-worker';
import { RedisStateStore } from '@sensorfuse/state';
import { KafkaBus } from '@sensorfuse/transport';

const [brokers = '', redisUrl = '', keyPrefix = '', transactionalId = '', configJson = '{}'] = process.argv.slice(2);
const overrides = JSON.parse(configJson) as { topics: ReturnType<typeof loadFusionConfig>['topics']; groupId: string; timeoutUs: number };
const base = loadFusionConfig({});
const config = { ...base, topics: overrides.topics, groupId: overrides.groupId, align: { ...base.align, timeoutUs: overrides.timeoutUs } };
const bus = new KafkaBus({ brokers: brokers.split(','), logLevel: 'nothing', transactionalId, sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 });
const store = await RedisStateStore.connect(redisUrl, { keyPrefix });
const worker = createFusionWorker(bus, config, store, { fencingId: transactionalId, maxFramesPerTransaction: 1 });
worker.start((err) => {
  process.stderr.write(`fatal ${String(err)}\n`);
});
let reported = 0;
setInterval(() => {
  const published = worker.stats().published;
  if (published !== reported) {
    reported = published;
    process.stdout.write(`published ${String(published)}\n`);
  }
}, 2);
