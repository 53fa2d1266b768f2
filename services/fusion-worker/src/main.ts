// Composition root of the fusion worker: config → telemetry → bus + state store → worker → run until SIGINT/SIGTERM.
import { MemoryStateStore, RedisStateStore } from '@sensorfuse/state';
import { startServiceTelemetry } from '@sensorfuse/telemetry';
import { createBus, ensureTopics, runWorker } from '@sensorfuse/worker';
import { loadFusionConfig } from './config.js';
import { FUSION_SERVICE, createFusionWorker } from './worker.js';

const config = loadFusionConfig();
const telemetry = await startServiceTelemetry(FUSION_SERVICE, config.telemetry);
const bus = createBus(config.bus, telemetry.logger);
const store = config.stateStore.kind === 'memory' ? new MemoryStateStore() : await RedisStateStore.connect(config.stateStore.url, { keyPrefix: config.stateStore.keyPrefix });
const worker = createFusionWorker(bus, config, store, { logger: telemetry.logger });
if (config.calibrationFile !== '') await worker.calibration.loadFile(config.calibrationFile);
const t = config.topics;
await runWorker({ worker, bus, telemetry, graceMs: config.shutdownGraceMs, beforeStart: () => ensureTopics(bus, [t.lidar, t.camera, t.audio, t.motion, t.output], config.bus.partitions) });
await store.close();
