// Composition root of the motion worker: config → telemetry → bus → worker → run until SIGINT/SIGTERM.
import { startServiceTelemetry } from '@sensorfuse/telemetry';
import { createBus, ensureTopics, runWorker } from '@sensorfuse/worker';
import { loadMotionConfig } from './config.js';
import { MOTION_SERVICE, createMotionWorker } from './worker.js';

const config = loadMotionConfig();
const telemetry = await startServiceTelemetry(MOTION_SERVICE, config.telemetry);
const bus = createBus(config.bus, telemetry.logger);
const worker = createMotionWorker(bus, config, telemetry);
await runWorker({
  worker,
  bus,
  telemetry,
  graceMs: config.shutdownGraceMs,
  beforeStart: () => ensureTopics(bus, [config.inputTopic, config.outputTopic], config.bus.partitions),
});
