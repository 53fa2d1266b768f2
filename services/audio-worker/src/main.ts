// Composition root of the audio worker: config → telemetry → bus → Silero pool → worker → run until SIGINT/SIGTERM.
import { startServiceTelemetry } from '@sensorfuse/telemetry';
import { createBus, ensureTopics, runWorker } from '@sensorfuse/worker';
import { loadAudioConfig } from './config.js';
import { AUDIO_SERVICE, openAudioWorker } from './worker.js';

const config = loadAudioConfig();
const telemetry = await startServiceTelemetry(AUDIO_SERVICE, config.telemetry);
const bus = createBus(config.bus, telemetry.logger);
const worker = await openAudioWorker(bus, config, telemetry);
await runWorker({
  worker,
  bus,
  telemetry,
  graceMs: config.shutdownGraceMs,
  beforeStart: () => ensureTopics(bus, [config.inputTopic, config.outputTopic], config.bus.partitions),
});
