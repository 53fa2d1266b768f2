import { Command, Option } from 'commander';
import { record } from '@sensorfuse/recorder';
import {
  CALIBRATION_TOPIC, TRUTH_TOPIC, createSimulation, publishCalibration, publishSimulation, toRigCalibration, type SimRecord,
} from '@sensorfuse/simulator';
import { nowUs } from '@sensorfuse/time';
import { KafkaBus, MemoryBus, type Bus } from '@sensorfuse/transport';
import { brokersOf } from '../config.js';
import { EXIT, UserError } from '../errors.js';
import { brokerText, integer, settingsOf, shared, withExamples } from '../options.js';
import { scenarioByName } from '../pipeline/embedded.js';
import { progressBar } from '../progress.js';
import { PIPELINE_MAX_MESSAGE_BYTES, RAW_TOPICS } from '../topology.js';

export interface SimulateOptions {
  readonly scenario: string;
  readonly seed: number;
  /** Simulated seconds; undefined = the scenario's own length. */
  readonly durationS?: number;
  readonly out?: string;
  readonly brokers?: readonly string[];
  readonly partitions: number;
  readonly pacing: 'real-time' | 'fast';
}

export interface SimulateResult {
  readonly records: number;
  readonly bytes: number;
  readonly durationS: number;
}

const SIM_TOPICS = [...RAW_TOPICS, TRUTH_TOPIC, CALIBRATION_TOPIC];

/**
 * `sensorfuse simulate`: one scenario run of the simulator, published to Kafka (what devices would
 * send) or written to an MCAP recording (through the recorder on an in-memory bus, so the file is
 * exactly what `sensorfuse record` would have written). Ctrl-C stops at the next record and closes the file.
 */
export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  const base = scenarioByName(options.scenario);
  const durationS = options.durationS ?? base.durationS;
  const scenario = { ...base, durationS };
  const startTimeUs = nowUs();
  const simulation = createSimulation(scenario, { seed: options.seed, pacing: options.pacing === 'fast' ? 'as-fast-as-possible' : 'real-time', startTimeUs });
  const bus: Bus = options.brokers === undefined
    ? new MemoryBus()
    : new KafkaBus({ brokers: options.brokers, clientId: 'sensorfuse-simulate', connectionTimeoutMs: 5_000, retry: { retries: 2 }, logLevel: 'nothing' });
  const stop = new AbortController();
  const onSignal = (): void => {
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const bar = progressBar(`simulate ${scenario.name}`, durationS, 's');
  try {
    await bus.admin.createTopics(SIM_TOPICS.map((topic) => ({ topic, partitions: options.partitions, maxMessageBytes: PIPELINE_MAX_MESSAGE_BYTES })));
    const recorder = options.out === undefined ? undefined : await record({ bus, topics: SIM_TOPICS, path: options.out, metadata: { scenario: scenario.name, seed: String(options.seed) } });
    await publishCalibration(bus, toRigCalibration(simulation.core.calibration, simulation.scenario, 1, startTimeUs));
    let records = 0;
    const tracked = async function* (source: AsyncIterable<SimRecord>): AsyncGenerator<SimRecord> {
      for await (const r of source) {
        if (stop.signal.aborted) return;
        records++;
        bar.update((r.captureTimeUs - startTimeUs) / 1e6, `${String(records)} records`);
        yield r;
      }
    };
    const stats = await publishSimulation(tracked(simulation), { bus });
    const published = Object.values(stats.records).reduce((a, b) => a + b, 0) + 1;
    if (recorder !== undefined) {
      await recorder.whenReceived(published);
      await recorder.stop();
    }
    return { records: published, bytes: stats.bytes, durationS };
  } finally {
    bar.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await bus.close();
  }
}

export function simulateCommand(): Command {
  const command = new Command('simulate')
    .description('Run the simulator (a rig in a synthetic world, with ground truth) and publish its streams to Kafka or write them to an MCAP file.')
    .option('--scenario <name>', shared('scenario', 'preset scenario: urban-day, night-rain, sensor-dropout, crowded, highway'))
    .option('--seed <n>', shared('seed', 'simulator seed'), integer('--seed', 0, 2 ** 31 - 1))
    .option('--duration <s>', shared('duration', 'simulated seconds, 0 = the scenario\'s length'), integer('--duration', 0, 86_400))
    .option('--out <file.mcap>', 'write an MCAP recording (replay it with `sensorfuse replay`)')
    .option('--kafka <brokers>', shared('kafka', 'publish to these Kafka brokers'), brokerText)
    .option('--partitions <n>', shared('partitions', 'partitions of topics that do not exist yet'), integer('--partitions', 1, 1024))
    .addOption(new Option('--pacing <mode>', 'real-time (sensor rates on the wall clock) or fast (as fast as possible); default real-time to Kafka, fast to a file').choices(['real-time', 'fast']))
    .action(async (options: { out?: string; pacing?: 'real-time' | 'fast' }, cmd: Command) => {
      const s = settingsOf(cmd);
      const brokers = options.out === undefined ? brokersOf(s.kafka) : undefined;
      if (options.out === undefined && brokers === undefined) {
        throw new UserError('simulate needs a destination', EXIT.usage, 'pass --out <file.mcap> or --kafka host:port');
      }
      const result = await simulate({
        scenario: s.scenario,
        seed: s.seed,
        partitions: s.partitions,
        pacing: options.pacing ?? (brokers === undefined ? 'fast' : 'real-time'),
        ...(s.duration > 0 ? { durationS: s.duration } : {}),
        ...(options.out === undefined ? {} : { out: options.out }),
        ...(brokers === undefined ? {} : { brokers }),
      });
      const where = options.out ?? `Kafka ${brokers?.join(',') ?? ''}`;
      process.stdout.write(`simulated ${s.scenario} (seed ${String(s.seed)}): ${String(result.records)} records, ${(result.bytes / 1e6).toFixed(1)} MB, ${String(result.durationS)} s → ${where}\n`);
    });
  return withExamples(command, [
    'sensorfuse simulate --out urban.mcap --duration 10',
    'sensorfuse simulate --scenario night-rain --seed 7 --out night.mcap',
    'sensorfuse simulate --kafka 127.0.0.1:9092 --duration 60',
  ]);
}
