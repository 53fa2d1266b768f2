// Composition root of the fusion worker: config → telemetry → bus + state store → worker → run until SIGINT/SIGTERM.
import { MemoryStateStore, RedisStateStore } from '@sensorfuse/state';
import { startServiceTelemetry } from '@sensorfuse/telemetry';
import { hostname } from 'node:os';
import { KafkaBus } from '@sensorfuse/transport';
import { createBus, ensureTopics, runWorker } from '@sensorfuse/worker';
import { loadFusionConfig } from './config.js';
import { FUSION_SERVICE, createFusionWorker } from './worker.js';

const config = loadFusionConfig();
const telemetry = await startServiceTelemetry(FUSION_SERVICE, config.telemetry);
// Output and consumed offsets go in Kafka transactions; the transactional id is stable per instance
// (a StatefulSet pod name is the host name) so a restarted instance aborts what its predecessor left open.
const transactionalId = config.transactionalId === '' ? `${config.groupId}-${hostname()}` : config.transactionalId;
const bus = config.bus.kind === 'kafka'
  ? new KafkaBus({ brokers: config.bus.brokers, clientId: config.bus.clientId, logLevel: config.bus.logLevel, transactionalId, logger: telemetry.logger })
  : createBus(config.bus, telemetry.logger);
const store = config.stateStore.kind === 'memory' ? new MemoryStateStore() : await RedisStateStore.connect(config.stateStore.url, { keyPrefix: config.stateStore.keyPrefix });
const worker = createFusionWorker(bus, config, store, { logger: telemetry.logger, instanceId: transactionalId, fencingId: transactionalId });
if (config.calibrationFile !== '') await worker.calibration.loadFile(config.calibrationFile);
const t = config.topics;
await runWorker({ worker, bus, telemetry, graceMs: config.shutdownGraceMs, beforeStart: () => ensureTopics(bus, [t.lidar, t.camera, t.audio, t.motion, t.output], config.bus.partitions) });
await store.close();
