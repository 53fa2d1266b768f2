// Composition root of the sensor worker: config → telemetry → bus → worker → run until SIGINT/SIGTERM.
import { startServiceTelemetry } from '@sensorfuse/telemetry';
import { createBus, ensureTopics, runWorker } from '@sensorfuse/worker';
import { loadSensorConfig } from './config.js';
import { SENSOR_SERVICE, createSensorWorker } from './worker.js';

const config = loadSensorConfig();
const telemetry = await startServiceTelemetry(SENSOR_SERVICE, config.telemetry);
const bus = createBus(config.bus, telemetry.logger);
const worker = createSensorWorker(bus, config, telemetry);
await runWorker({
  worker,
  bus,
  telemetry,
  graceMs: config.shutdownGraceMs,
  beforeStart: () => ensureTopics(bus, [config.inputTopic, config.outputTopic], config.bus.partitions),
});
