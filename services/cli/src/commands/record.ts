import { Command } from 'commander';
import { PIPELINE_TOPICS, record } from '@sensorfuse/recorder';
import { KafkaBus, type Bus } from '@sensorfuse/transport';
import { brokersOf } from '../config.js';
import { EXIT, UserError } from '../errors.js';
import { brokerText, integer, list, settingsOf, shared, withExamples } from '../options.js';
import { progressBar } from '../progress.js';

export interface RecordCommandOptions {
  readonly brokers: readonly string[];
  readonly out: string;
  readonly topics?: readonly string[];
  readonly pattern?: string;
  readonly durationS?: number;
  readonly groupId?: string;
  readonly fromBeginning: boolean;
  /** Tests pass a MemoryBus; the command line always records from Kafka. */
  readonly bus?: Bus;
}

/**
 * `sensorfuse record`: pipeline topics → an MCAP file until Ctrl-C or --duration. Offsets are
 * committed only once records are on disk, so a recorder restarted with the same --group resumes.
 */
export async function recordTopics(options: RecordCommandOptions): Promise<{ messages: number; files: readonly string[] }> {
  const bus = options.bus ?? new KafkaBus({ brokers: options.brokers, clientId: 'sensorfuse-record', connectionTimeoutMs: 5_000, retry: { retries: 2 }, logLevel: 'nothing' });
  const selection = options.pattern !== undefined ? { pattern: new RegExp(options.pattern) } : { topics: options.topics ?? PIPELINE_TOPICS.filter((t) => !t.endsWith('.dlq')) };
  try {
    const recorder = await record({
      bus,
      path: options.out,
      fromBeginning: options.fromBeginning,
      ...selection,
      ...(options.groupId === undefined ? {} : { groupId: options.groupId }),
    });
    process.stdout.write(`recording ${String(recorder.topics.length)} topics to ${options.out}; Ctrl-C stops\n`);
    const bar = progressBar('record', options.durationS ?? 0, 's');
    const started = Date.now();
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearInterval(tick);
        process.off('SIGINT', done);
        process.off('SIGTERM', done);
        resolve();
      };
      const tick = setInterval(() => {
        const elapsedS = (Date.now() - started) / 1000;
        bar.update(elapsedS, `${String(recorder.received())} messages`);
        if (options.durationS !== undefined && elapsedS >= options.durationS) done();
      }, 200);
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    bar.stop();
    const stats = await recorder.stop();
    return { messages: stats.messages, files: stats.files };
  } finally {
    if (options.bus === undefined) await bus.close();
  }
}

export function recordCommand(): Command {
  const command = new Command('record')
    .description('Record pipeline topics from Kafka to an MCAP file (zstd chunks, Avro schemas inside) until Ctrl-C or --duration.')
    .requiredOption('--out <file.mcap>', 'the recording to write')
    .option('--kafka <brokers>', shared('kafka', 'Kafka brokers to record from (required here)'), brokerText)
    .option('--topics <list>', 'comma-separated topics (default: every raw.*, obs.*, fused.detections, calibration.rig, sim.truth)', list)
    .option('--pattern <regexp>', 'record the pipeline topics matching this regular expression instead')
    .option('--duration <s>', 'stop after this many seconds of wall time (default: until Ctrl-C)', integer('--duration', 1, 86_400 * 7))
    .option('--group <id>', 'consumer group; reuse it to resume a recorder that crashed')
    .option('--from-beginning', 'also record what the topics already hold', false)
    .action(async (options: { out: string; topics?: string[]; pattern?: string; duration?: number; group?: string; fromBeginning: boolean }, cmd: Command) => {
      const s = settingsOf(cmd);
      const brokers = brokersOf(s.kafka);
      if (brokers === undefined) throw new UserError('record needs a Kafka cluster to record from', EXIT.usage, 'pass --kafka host:port (or set SENSORFUSE_KAFKA)');
      if (options.topics !== undefined && options.pattern !== undefined) throw new UserError('give --topics or --pattern, not both', EXIT.usage, 'see sensorfuse record --help');
      const result = await recordTopics({
        brokers,
        out: options.out,
        fromBeginning: options.fromBeginning,
        ...(options.topics === undefined ? {} : { topics: options.topics }),
        ...(options.pattern === undefined ? {} : { pattern: options.pattern }),
        ...(options.duration === undefined ? {} : { durationS: options.duration }),
        ...(options.group === undefined ? {} : { groupId: options.group }),
      });
      process.stdout.write(`recorded ${String(result.messages)} messages → ${result.files.join(', ')}\n`);
    });
  return withExamples(command, [
    'sensorfuse record --kafka 127.0.0.1:9092 --out drive.mcap',
    'sensorfuse record --kafka 127.0.0.1:9092 --topics raw.lidar,raw.camera,calibration.rig --duration 60 --out short.mcap',
    'sensorfuse record --kafka 127.0.0.1:9092 --pattern "^(obs|fused)\\." --out outputs.mcap',
  ]);
}
