/**
 * Child process of the pipeline benchmark: replays the recorded rig to Kafka at 1× for each of the
 * rigs it is given, as if each were its own vehicle. Every replay re-times the records to now
 * (@sensorfuse/recorder `retime: 'now'`) and loops forever; a thin Bus wrapper gives each copy its
 * own rig id (key and `rigId` field) and keeps `seq` increasing across loops, so the workers see N
 * independent rigs. Reports cumulative published records per topic to the parent once a second;
 * stops on the IPC message 'stop' or SIGTERM.
 *
 *   BENCH_SOURCE='{"brokers":["127.0.0.1:9092"],"file":"rig.mcap","rigs":[0,1],"topicPrefix":"bench-x."}'
 */
import { replay, type ReplayController, type ReplayStats } from '@sensorfuse/recorder';
import { KafkaBus, type OutgoingRecord } from '@sensorfuse/transport';
import { RigBus } from './rig-bus.js';
import { RAW_TOPICS, rigIdOf } from './workload.js';

interface SourceConfig {
  readonly brokers: readonly string[];
  readonly file: string;
  readonly rigs: readonly number[];
  readonly topicPrefix: string;
  /** Start the i-th rig this many ms after the previous one (spreads the sweeps of many rigs). */
  readonly staggerMs?: number;
}

export interface SourceReport {
  readonly type: 'source';
  readonly atMs: number;
  readonly publishedByTopic: Readonly<Record<string, number>>;
  readonly bytes: number;
  readonly errors: number;
}

export interface SourceDone {
  readonly type: 'source-done';
  readonly stats: readonly ReplayStats[];
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_SOURCE ?? '') as SourceConfig;
  const bus = new KafkaBus({ brokers: config.brokers, clientId: 'bench-source', logLevel: 'error' });
  const published: Record<string, number> = {};
  let bytes = 0;
  let errors = 0;
  const count = (topic: string, records: readonly OutgoingRecord[]): void => {
    const t = topic.slice(config.topicPrefix.length);
    published[t] = (published[t] ?? 0) + records.length;
    for (const r of records) bytes += r.value.byteLength;
  };
  const report = (): void => {
    const message: SourceReport = { type: 'source', atMs: Date.now(), publishedByTopic: { ...published }, bytes, errors };
    if (process.connected) process.send?.(message);
  };
  const timer = setInterval(report, 1000);

  const controllers: ReplayController[] = [];
  const done: Promise<ReplayStats | undefined>[] = [];
  const state = { stopping: false };
  const stop = (): void => {
    state.stopping = true;
    for (const c of controllers) c.stop();
  };
  process.on('message', (m) => {
    if (m === 'stop') stop();
  });
  process.on('SIGTERM', stop);
  const rigBuses: RigBus[] = [];
  const onError = (error: unknown): void => {
    errors += 1;
    console.error(`source publish: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  };
  for (const [i, rig] of config.rigs.entries()) {
    if (state.stopping) break;
    if (i > 0 && (config.staggerMs ?? 0) > 0) await new Promise((r) => setTimeout(r, config.staggerMs));
    const rigBus = new RigBus(bus, rigIdOf(rig), count, onError);
    rigBuses.push(rigBus);
    const controller = replay({
      bus: rigBus,
      files: config.file,
      rate: 1,
      loop: 'forever',
      retime: 'now',
      includeTopics: [...RAW_TOPICS],
      topicPrefix: config.topicPrefix,
    });
    controllers.push(controller);
    done.push(
      controller.done.catch((error: unknown) => {
        errors += 1;
        console.error(`source rig ${String(rig)}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
        return undefined;
      }),
    );
  }
  const stats = (await Promise.all(done)).filter((s): s is ReplayStats => s !== undefined);
  await Promise.all(rigBuses.map((b) => b.flush()));
  clearInterval(timer);
  report();
  const message: SourceDone = { type: 'source-done', stats };
  if (process.connected) process.send?.(message);
  await bus.close();
  if (process.connected) process.disconnect();
}

await main();
