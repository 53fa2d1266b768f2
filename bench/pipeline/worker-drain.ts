/**
 * Development aid for the pipeline benchmark: the motion worker's plumbing over Kafka, drained as
 * fast as it goes. Pre-fills a topic with the recording's raw.motion records (IMU 200 Hz + GNSS
 * 10 Hz), then runs createWorker with the real MotionCore over KafkaBus until every output is
 * published; reports records/s and CPU per record of this process (the worker; the broker apart).
 *
 *   KAFKA_BROKERS=127.0.0.1:19092 node --conditions=source --import tsx bench/pipeline/worker-drain.ts <rig.mcap> [seconds of rig] [module]
 *
 * module: a file exporting createWorker (default @sensorfuse/worker), to compare another version.
 */
import path from 'node:path';
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { MotionCore, loadMotionConfig, motionCoreOptions } from '@sensorfuse/motion-worker';
import { Recording } from '@sensorfuse/recorder';
import { egoStateSchema, motionSampleSchema, type EgoState, type MotionSample } from '@sensorfuse/schemas';
import { nowUs } from '@sensorfuse/time';
import { KafkaBus, type OutgoingRecord } from '@sensorfuse/transport';
import { createWorker as currentCreateWorker } from '@sensorfuse/worker';
import { firstValueFrom, filter, take } from 'rxjs';

const file = process.argv[2] ?? '';
const seconds = Number(process.argv[3] ?? 20);
const moduleFile = process.argv[4];
const createWorker = (moduleFile === undefined ? currentCreateWorker : ((await import(path.resolve(moduleFile))) as { createWorker: typeof currentCreateWorker }).createWorker);

const recording = await Recording.open(file);
const records: OutgoingRecord[] = [];
for await (const m of recording.messages({ topics: ['raw.motion'] })) records.push({ key: m.key, value: m.value });
await recording.close();
const perS = records.length / Math.max(1, ((recording.endTimeUs ?? 0) - (recording.startTimeUs ?? 0)) / 1e6);
const wanted = Math.round(perS * seconds);
const input: OutgoingRecord[] = Array.from({ length: wanted }, (_, i) => records[i % records.length] ?? { key: null, value: Buffer.alloc(0) });

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const bus = new KafkaBus({ brokers, clientId: 'worker-drain', logLevel: 'error', commitIntervalMs: 100 });
const run = `worker-drain-${Date.now().toString(36)}`;
await bus.admin.createTopics([{ topic: `${run}.in`, partitions: 4 }, { topic: `${run}.out`, partitions: 4 }]);
for (let i = 0; i < input.length; i += 500) await bus.publish(`${run}.in`, input.slice(i, i + 500));

const config = loadMotionConfig({});
const registry = new SchemaRegistry();
const options = motionCoreOptions(config, nowUs);
// Seq repeats when the recording is looped: every record is still one update of the core.
const worker = createWorker<MotionSample, EgoState>({
  name: 'motion-worker',
  bus,
  input: { topic: `${run}.in`, groupId: `${run}-motion`, codec: createCodec<MotionSample>(registry, motionSampleSchema) },
  output: { topic: `${run}.out`, codec: createCodec<EgoState>(registry, egoStateSchema) },
  createCore: () => new MotionCore(options),
  coreKey: (s) => s.rigId,
});
const cpu0 = process.cpuUsage();
const t0 = performance.now();
worker.start((e) => {
  console.error('worker failed', e);
});
await firstValueFrom(
  new (await import('rxjs')).Observable<number>((s) => {
    const timer = setInterval(() => { s.next(worker.stats().consumed); }, 50);
    return () => { clearInterval(timer); };
  }).pipe(filter((n) => n >= wanted), take(1)),
);
while (worker.stats().processed + worker.stats().deadLettered < wanted) await new Promise((r) => setTimeout(r, 20));
const wallS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const stats = worker.stats();
console.log(`${moduleFile ?? '@sensorfuse/worker'}: ${String(wanted)} raw.motion records (${String(seconds)} s of rig) in ${wallS.toFixed(1)} s: ${(wanted / wallS).toFixed(0)} records/s (${(wanted / wallS / perS).toFixed(1)}× real time); CPU ${(((cpu.user + cpu.system) / 1e3) / wanted).toFixed(3)} ms per record; published ${String(stats.published)}, dead-lettered ${String(stats.deadLettered)}`);
await worker.drain();
await bus.close();
