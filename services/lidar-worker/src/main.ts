// Composition root of the LIDAR worker: config → telemetry → bus → worker → run until SIGINT/SIGTERM.
import { startServiceTelemetry } from '@sensorfuse/telemetry';
import { createBus, ensureTopics, runWorker } from '@sensorfuse/worker';
import { loadLidarConfig } from './config.js';
import { LIDAR_SERVICE, createLidarWorker } from './worker.js';

const config = loadLidarConfig();
const telemetry = await startServiceTelemetry(LIDAR_SERVICE, config.telemetry);
const bus = createBus(config.bus, telemetry.logger);
const worker = createLidarWorker(bus, config, telemetry);
await runWorker({
  worker,
  bus,
  telemetry,
  graceMs: config.shutdownGraceMs,
  beforeStart: () => ensureTopics(bus, [config.inputTopic, config.outputTopic], config.bus.partitions),
});
