// Composition root of the camera worker: config → telemetry → bus → model pool → worker → run until SIGINT/SIGTERM.
import { startServiceTelemetry } from '@sensorfuse/telemetry';
import { createBus, ensureTopics, runWorker } from '@sensorfuse/worker';
import { loadCameraConfig } from './config.js';
import { CAMERA_SERVICE, openCameraWorker } from './worker.js';

const config = loadCameraConfig();
const telemetry = await startServiceTelemetry(CAMERA_SERVICE, config.telemetry);
const bus = createBus(config.bus, telemetry.logger);
const worker = await openCameraWorker(bus, config, telemetry);
await runWorker({
  worker,
  bus,
  telemetry,
  graceMs: config.shutdownGraceMs,
  beforeStart: () => ensureTopics(bus, [config.inputTopic, config.outputTopic], config.bus.partitions),
});
