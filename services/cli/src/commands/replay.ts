import { Command, InvalidArgumentError } from 'commander';
import { replay, type PacingMode, type ReplayStats } from '@sensorfuse/recorder';
import { KafkaBus, type Bus } from '@sensorfuse/transport';
import { brokersOf } from '../config.js';
import { EXIT, UserError } from '../errors.js';
import { brokerText, list, settingsOf, shared, withExamples } from '../options.js';
import { progressBar } from '../progress.js';

function rate(value: string): number | 'max' {
  if (value === 'max') return 'max';
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`--rate must be a number above 0 or "max", found "${value}"`);
  return n;
}

function loops(value: string): number | 'forever' {
  if (value === 'forever') return 'forever';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`--loop must be an integer ≥ 1 or "forever", found "${value}"`);
  return n;
}

const PACING_MODES: readonly PacingMode[] = ['auto', 'precise', 'low-cpu'];

function pacing(value: string): PacingMode {
  const mode = PACING_MODES.find((m) => m === value);
  if (mode === undefined) throw new InvalidArgumentError(`--pacing must be one of ${PACING_MODES.join(', ')}, found "${value}"`);
  return mode;
}

function niceValue(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < -20 || n > 19) throw new InvalidArgumentError(`--nice must be an integer in [-20, 19], found "${value}"`);
  return n;
}

function realtimePriority(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1 || n > 99) throw new InvalidArgumentError(`--realtime must be an integer in [1, 99], found "${value}"`);
  return n;
}

export interface ReplayCommandOptions {
  readonly files: readonly string[];
  readonly bus: Bus;
  readonly rate: number | 'max';
  readonly loop: number | 'forever';
  readonly retime: 'original' | 'now';
  readonly topics?: readonly string[];
  /** Default: the recorder's (auto up to rate 2, low-cpu above). */
  readonly pacing?: PacingMode;
  /** Nice value of the pacing thread while it plays (the recorder's schedulingPriority). */
  readonly nice?: number;
  /** SCHED_FIFO priority of the pacing thread while it plays (the recorder's realtimePriority). */
  readonly realtime?: number;
}

/** `sensorfuse replay`: a recording back onto the bus with its timing; Ctrl-C stops after the current message. */
export async function replayFiles(options: ReplayCommandOptions): Promise<ReplayStats> {
  const bar = progressBar('replay', 100, '%');
  const controller = replay({
    bus: options.bus,
    files: options.files,
    rate: options.rate,
    loop: options.loop,
    retime: options.retime,
    ...(options.topics === undefined ? {} : { includeTopics: options.topics }),
    ...(options.pacing === undefined ? {} : { pacing: options.pacing }),
    ...(options.nice === undefined ? {} : { schedulingPriority: options.nice }),
    ...(options.realtime === undefined ? {} : { realtimePriority: options.realtime }),
    onProgress: (p) => {
      bar.update(p.fraction * 100, `loop ${String(p.loop + 1)} · ${String(p.published)} messages`);
    },
  });
  const onSignal = (): void => {
    controller.stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await controller.done;
  } finally {
    bar.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function replayCommand(): Command {
  const command = new Command('replay')
    .description('Publish a recording (one MCAP file or the rotated files of one recording) to Kafka with its original timing, or as fast as possible.')
    .argument('<files...>', 'the .mcap file(s)')
    .option('--kafka <brokers>', shared('kafka', 'Kafka brokers to publish to (required here)'), brokerText)
    .option('--rate <x>', 'speed factor (1 = real time) or "max" (deterministic, as fast as possible)', rate, 1)
    .option('--loop <n>', 'plays, or "forever"', loops, 1)
    .option('--retime', 'shift every timestamp so the recording starts now (live-looking data for a running pipeline)', false)
    .option('--topics <list>', 'only these topics (comma-separated)', list)
    .option(
      '--pacing <mode>',
      'auto (default up to --rate 2: timer then a short busy wait, timers only while the CPU is contended), precise (always busy-wait the last 3 ms), low-cpu (timers only; default above --rate 2)',
      pacing,
    )
    .option(
      '--realtime <priority>',
      'run the pacing thread under SCHED_FIFO at this priority (1-99, e.g. 10) while it plays, like chrt -f: other processes no longer delay due messages (needs root or CAP_SYS_NICE; says so and goes on otherwise)',
      realtimePriority,
    )
    .option(
      '--nice <n>',
      "the pacing thread's nice value while it plays (-20..19); with autogroup scheduling it only counts against your own session, prefer --realtime",
      niceValue,
    )
    .action(async (files: string[], options: { rate: number | 'max'; loop: number | 'forever'; retime: boolean; topics?: string[]; pacing?: PacingMode; nice?: number; realtime?: number }, cmd: Command) => {
      const s = settingsOf(cmd);
      const brokers = brokersOf(s.kafka);
      if (brokers === undefined) throw new UserError('replay needs a Kafka cluster to publish to', EXIT.usage, 'pass --kafka host:port (or set SENSORFUSE_KAFKA)');
      const bus = new KafkaBus({ brokers, clientId: 'sensorfuse-replay', connectionTimeoutMs: 5_000, retry: { retries: 2 }, logLevel: 'nothing' });
      try {
        const stats = await replayFiles({
          files, bus, rate: options.rate, loop: options.loop, retime: options.retime ? 'now' : 'original',
          ...(options.topics === undefined ? {} : { topics: options.topics }),
          ...(options.pacing === undefined ? {} : { pacing: options.pacing }),
          ...(options.nice === undefined ? {} : { nice: options.nice }),
          ...(options.realtime === undefined ? {} : { realtime: options.realtime }),
        });
        process.stdout.write(
          `replayed ${String(stats.published)} messages (${String(stats.staticPublished)} static) in ${String(stats.loops)} loop(s); ` +
            `lag p50 ${(stats.lagP50Us / 1000).toFixed(1)} ms p99 ${(stats.lagP99Us / 1000).toFixed(1)} ms, ${String(stats.reanchors)} re-anchors\n`,
        );
      } finally {
        await bus.close();
      }
    });
  return withExamples(command, [
    'sensorfuse replay drive.mcap --kafka 127.0.0.1:9092',
    'sensorfuse replay drive_0000.mcap drive_0001.mcap --kafka 127.0.0.1:9092 --rate 2 --loop forever --retime',
    'sensorfuse replay kitti.mcap --kafka 127.0.0.1:9092 --rate max --topics raw.lidar,calibration.rig',
    'sensorfuse replay drive.mcap --kafka 127.0.0.1:9092 --pacing low-cpu   # timers only: no busy wait on a shared machine',
    'sudo sensorfuse replay drive.mcap --kafka 127.0.0.1:9092 --realtime 10   # SCHED_FIFO pacing thread: 1x timing on a busy machine',
  ]);
}
