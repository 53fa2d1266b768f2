import { Command } from 'commander';
import { startDashboard } from '@sensorfuse/dashboard';
import { runService } from '@sensorfuse/runtime';
import { MemoryStateStore } from '@sensorfuse/state';
import { KafkaBus, MemoryBus, type Bus } from '@sensorfuse/transport';
import { brokersOf } from '../config.js';
import { brokerText, integer, settingsOf, shared, withExamples } from '../options.js';
import { Pipeline } from '../pipeline/embedded.js';

/** `sensorfuse run` (the default command, what `npm start` runs). */
export function runCommand(): Command {
  const command = new Command('run')
    .description('Run the whole pipeline: simulator → camera, LIDAR, audio, motion, sensor workers → fusion, with the dashboard. Embedded (one process, in-memory bus) unless --kafka is given.')
    .option('--scenario <name>', shared('scenario', 'simulator scenario used as the source'))
    .option('--seed <n>', shared('seed', 'simulator seed'), integer('--seed', 0, 2 ** 31 - 1))
    .option('--duration <s>', shared('duration', 'stop after this many seconds of simulated time, 0 = until Ctrl-C'), integer('--duration', 0, 86_400))
    .option('--kafka <brokers>', shared('kafka', 'run over Kafka instead of the in-memory bus'), brokerText)
    .option('--redis <url>', shared('redis', 'Redis for state in deployed mode'))
    .option('--port <port>', shared('port', 'dashboard port on 127.0.0.1, 0 picks a free one'), integer('--port', 0, 65_535))
    .action(async (_options: unknown, cmd: Command) => {
      const s = settingsOf(cmd);
      const kafka = brokersOf(s.kafka);
      await runEmbedded({
        scenario: s.scenario,
        seed: s.seed,
        port: s.port,
        ...(s.duration > 0 ? { duration: s.duration } : {}),
        ...(kafka === undefined ? {} : { kafka }),
        ...(s.redis === '' ? {} : { redis: s.redis }),
      });
    });
  return withExamples(command, [
    'sensorfuse run',
    'sensorfuse run --scenario night-rain --duration 30',
    'sensorfuse run --port 0',
    'sensorfuse run --kafka 127.0.0.1:9092 --redis redis://127.0.0.1:6379',
    'SENSORFUSE_PORT=9000 sensorfuse run --config sensorfuse.yaml',
  ], 'Prints a status line every 2 s (rates, latency, tracks, missing modalities) and a summary on Ctrl-C.');
}

export interface RunOptions {
  readonly scenario: string;
  readonly seed: number;
  readonly duration?: number;
  readonly kafka?: readonly string[];
  readonly redis?: string;
  readonly statusIntervalMs?: number;
  /** Dashboard port on 127.0.0.1; 0 picks a free one. */
  readonly port: number;
}

/**
 * `sensorfuse run`: the whole pipeline in one process, on the in-memory bus (default) or on Kafka
 * (--kafka). Prints a status line every few seconds and a summary when stopped (Ctrl-C) or done.
 */
export async function runEmbedded(options: RunOptions): Promise<void> {
  const bus: Bus = options.kafka === undefined ? new MemoryBus() : new KafkaBus({ brokers: options.kafka, clientId: 'sensorfuse-run' });
  const pipeline = new Pipeline(bus, new MemoryStateStore(), {
    scenario: options.scenario,
    seed: options.seed,
    partitions: options.kafka === undefined ? 1 : 4,
    ...(options.duration === undefined ? {} : { durationS: options.duration }),
  });
  const mode = options.kafka === undefined ? 'embedded (in-memory bus)' : `deployed (Kafka ${options.kafka.join(',')})`;
  let timer: NodeJS.Timeout | undefined;
  let dashboard: Awaited<ReturnType<typeof startDashboard>> | undefined;
  const finished = new AbortController();
  // Ctrl-C drains. A terminal sends SIGINT to the whole process group and `npm start` forwards it to
  // its script as well, so one key press can arrive twice: signals within a second of the first count
  // as the same press; a later one (pressed again while draining) stops at once.
  let firstSignalMs: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    const now = Date.now();
    if (firstSignalMs === undefined) {
      firstSignalMs = now;
      finished.abort();
    } else if (now - firstSignalMs > 1_000) {
      process.stderr.write(`sensorfuse: ${signal} again, stopping without draining\n`);
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const outcome = await runService({
    name: 'sensorfuse',
    graceMs: 8_000,
    signal: finished.signal,
    signals: [],
    exit: 'none',
    start: async (context) => {
      const fail = (error: unknown): void => {
        context.fail(error);
      };
      process.stdout.write(`sensorfuse: running scenario ${options.scenario} (seed ${String(options.seed)}), ${mode}; Ctrl-C stops\n`);
      dashboard = await startDashboard({ bus, port: options.port });
      process.stdout.write(`sensorfuse: dashboard on ${dashboard.url}\n`);
      await pipeline.start(fail);
      timer = setInterval(() => {
        process.stdout.write(`${pipeline.status.line()}\n`);
      }, options.statusIntervalMs ?? 2_000);
      if (options.duration !== undefined) {
        void pipeline.sourceDone().then(
          () => setTimeout(() => { finished.abort(); }, 1_000),
          fail,
        );
      }
    },
    drain: async () => {
      if (timer !== undefined) clearInterval(timer);
      await pipeline.drain();
      await dashboard?.close();
      await bus.close();
      process.stdout.write(`${pipeline.status.summary()}\n`);
    },
  });
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  // A start failure (e.g. the dashboard port is taken) arrives wrapped; the user needs the cause.
  if (outcome.error !== undefined) throw outcome.error.cause instanceof Error ? outcome.error.cause : outcome.error;
}
