/**
 * bench/transport: publish→receive throughput of MemoryBus and KafkaBus for 1 KB and 1 MB records,
 * next to a raw kafkajs producer/consumer loop (eachBatch) against the same broker in the same run.
 *   KAFKA_BROKERS=127.0.0.1:19092 node --conditions=source --import tsx bench/transport/index.ts
 * Without KAFKA_BROKERS it starts a local Kafka with @sensorfuse/infra (deploy/local/kafka.sh).
 * Writes bench/results/transport.json and bench/results/transport.md.
 *
 * One measurement: a consumer that has already joined its group (it received a warm-up record)
 * waits while the producer publishes N records in batches, one send at a time, acks=all; the clock
 * runs from the first send to the last record received. The bus consumer commits every record (as
 * a worker does); the raw loop lets kafkajs auto-commit. Cases alternate over several rounds; the
 * KafkaBus/raw ratio is taken per round (the two run back to back, in alternating order, so a busy
 * shared machine slows both alike) and its median is reported with the median rates.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalKafka, type LocalKafka } from '@sensorfuse/infra';
import { KafkaBus, MemoryBus, type Bus } from '@sensorfuse/transport';
import kafkajs from 'kafkajs';

interface Size {
  readonly label: string;
  readonly bytes: number;
  readonly records: number;
  readonly batch: number;
}

const SIZES: Size[] = [
  { label: '1 KB', bytes: 1024, records: 10_000, batch: 500 },
  { label: '1 MB', bytes: 1024 * 1024, records: 60, batch: 4 },
];
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const KEYS = Array.from({ length: 16 }, (_, i) => `rig-${String(i)}`);
const PARTITIONS = 4;

interface Measurement {
  readonly seconds: number;
  readonly records: number;
  readonly bytes: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(1);
}

async function measureBus(bus: Bus, size: Size): Promise<Measurement> {
  const topic = `bench-${randomUUID()}`;
  await bus.admin.createTopics([{ topic, partitions: PARTITIONS, deadLetterTopic: 'none' }]);
  const value = randomBytes(size.bytes);
  let received = 0;
  let warm = false;
  const subscription = bus
    .subscribe({ groupId: `bench-${randomUUID()}`, topics: [topic], fromBeginning: true })
    .subscribe((record) => {
      if (record.key === 'warm-up') warm = true;
      else received += 1;
      void record.commit();
    });
  await bus.publish(topic, [{ key: 'warm-up', value: Buffer.from('x') }]);
  await waitFor(() => warm);
  const start = performance.now();
  for (let sent = 0; sent < size.records; sent += size.batch) {
    const n = Math.min(size.batch, size.records - sent);
    await bus.publish(
      topic,
      Array.from({ length: n }, (_, i) => ({ key: KEYS[(sent + i) % KEYS.length] ?? null, value })),
    );
  }
  await waitFor(() => received >= size.records);
  const seconds = (performance.now() - start) / 1000;
  subscription.unsubscribe();
  return { seconds, records: size.records, bytes: size.records * size.bytes };
}

async function measureRaw(brokers: string[], size: Size): Promise<Measurement> {
  const kafka = new kafkajs.Kafka({ clientId: 'bench-raw', brokers, logLevel: kafkajs.logLevel.ERROR });
  const admin = kafka.admin();
  await admin.connect();
  const topic = `bench-raw-${randomUUID()}`;
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: PARTITIONS, configEntries: [{ name: 'max.message.bytes', value: String(10 * 1024 * 1024) }] }],
  });
  await admin.disconnect();
  const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}`, maxBytesPerPartition: 11 * 1024 * 1024, maxBytes: 64 * 1024 * 1024, maxWaitTimeInMs: 500 });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let received = 0;
  let warm = false;
  await consumer.run({
    eachBatch: async (payload) => {
      for (const message of payload.batch.messages) {
        if (message.key?.toString() === 'warm-up') warm = true;
        else received += 1;
      }
      await payload.heartbeat();
    },
  });
  const value = randomBytes(size.bytes);
  await producer.send({ topic, acks: -1, messages: [{ key: 'warm-up', value: Buffer.from('x') }] });
  await waitFor(() => warm);
  const start = performance.now();
  for (let sent = 0; sent < size.records; sent += size.batch) {
    const n = Math.min(size.batch, size.records - sent);
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: n }, (_, i) => ({ key: KEYS[(sent + i) % KEYS.length] ?? null, value })),
    });
  }
  await waitFor(() => received >= size.records);
  const seconds = (performance.now() - start) / 1000;
  await Promise.all([consumer.disconnect(), producer.disconnect()]);
  return { seconds, records: size.records, bytes: size.records * size.bytes };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  let local: LocalKafka | undefined;
  let brokers = process.env.KAFKA_BROKERS?.split(',').filter((b) => b.length > 0);
  if (brokers === undefined || brokers.length === 0) {
    console.log('KAFKA_BROKERS not set: starting a local Kafka (deploy/local/kafka.sh)…');
    local = await startLocalKafka({ log: (line) => { console.log(`  ${line}`); } });
    brokers = [...local.brokers];
  }
  const kafkaBus = new KafkaBus({ brokers, clientId: 'bench-bus', logLevel: 'error' });
  const results: Record<string, Record<string, number[]>> = {};
  const ratios: Record<string, number[]> = {};
  const record = (size: string, impl: string, m: Measurement): void => {
    const perSize = (results[size] ??= {});
    (perSize[impl] ??= []).push(m.records / m.seconds);
    console.log(
      `${size.padEnd(5)} ${impl.padEnd(12)} ${(m.records / m.seconds).toFixed(0).padStart(8)} records/s ${(m.bytes / m.seconds / 1e6).toFixed(1).padStart(7)} MB/s (${m.seconds.toFixed(2)} s)`,
    );
  };
  const started = performance.now();
  const loadAtStart = os.loadavg()[0]?.toFixed(1) ?? 'unknown';
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const size of SIZES) {
        const memory = new MemoryBus();
        record(size.label, 'MemoryBus', await measureBus(memory, size));
        await memory.close();
        // Alternate the order so neither Kafka client always runs on a warmer broker.
        let raw: Measurement;
        let bus: Measurement;
        if (round % 2 === 0) {
          raw = await measureRaw(brokers, size);
          bus = await measureBus(kafkaBus, size);
        } else {
          bus = await measureBus(kafkaBus, size);
          raw = await measureRaw(brokers, size);
        }
        record(size.label, 'KafkaBus', bus);
        record(size.label, 'raw kafkajs', raw);
        (ratios[size.label] ??= []).push(raw.seconds / bus.seconds);
      }
    }
  } finally {
    await kafkaBus.close();
    await local?.stop();
  }

  const rows = SIZES.map((size) => {
    const perSize = results[size.label] ?? {};
    const rate = (impl: string): number => median(perSize[impl] ?? []);
    return {
      size: size.label,
      recordBytes: size.bytes,
      records: size.records,
      batch: size.batch,
      memoryBusRecordsPerS: rate('MemoryBus'),
      kafkaBusRecordsPerS: rate('KafkaBus'),
      rawKafkajsRecordsPerS: rate('raw kafkajs'),
      memoryBusMBPerS: (rate('MemoryBus') * size.bytes) / 1e6,
      kafkaBusMBPerS: (rate('KafkaBus') * size.bytes) / 1e6,
      rawKafkajsMBPerS: (rate('raw kafkajs') * size.bytes) / 1e6,
      kafkaBusOverRaw: median(ratios[size.label] ?? []),
      kafkaBusOverRawPerRound: ratios[size.label] ?? [],
      samples: perSize,
    };
  });
  const summary = {
    benchmark: 'transport publish→receive throughput',
    command: 'KAFKA_BROKERS=<brokers> node --conditions=source --import tsx bench/transport/index.ts',
    target: 'KafkaBus ≥ 0.8 × raw kafkajs',
    rounds: ROUNDS,
    partitions: PARTITIONS,
    broker: local ? `local Apache Kafka ${local.kafkaVersion} (started by the bench)` : `KAFKA_BROKERS=${brokers.join(',')}`,
    node: process.version,
    cpu: `${os.cpus()[0]?.model ?? 'unknown'} × ${String(os.cpus().length)}`,
    runSeconds: (performance.now() - started) / 1000,
    loadAverage: loadAtStart,
    date: new Date().toISOString(),
    rows,
  };
  const outDir = path.join(repoRoot, 'bench/results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'transport.json'), `${JSON.stringify(summary, null, 2)}\n`);
  const md = [
    '# Transport throughput (publish → receive)',
    '',
    `\`${summary.command}\` — ${summary.broker}, ${summary.node}, ${summary.cpu}, load average ${summary.loadAverage} at the start, ${String(PARTITIONS)} partitions, median of ${String(ROUNDS)} rounds, ${summary.runSeconds.toFixed(0)} s run, ${summary.date}.`,
    '',
    'Producer sends batches one at a time with acks=all; the clock runs from the first send to the last record received by a consumer that had already joined. KafkaBus: idempotent producer, a commit per record. Raw: plain kafkajs producer, eachBatch consumer with auto-commit.',
    '',
    '| record | records × batch | MemoryBus rec/s (MB/s) | KafkaBus rec/s (MB/s) | raw kafkajs rec/s (MB/s) | KafkaBus / raw, median of per-round ratios (target ≥ 0.80) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.size} | ${String(r.records)} × ${String(r.batch)} | ${r.memoryBusRecordsPerS.toFixed(0)} (${r.memoryBusMBPerS.toFixed(1)}) | ${r.kafkaBusRecordsPerS.toFixed(0)} (${r.kafkaBusMBPerS.toFixed(1)}) | ${r.rawKafkajsRecordsPerS.toFixed(0)} (${r.rawKafkajsMBPerS.toFixed(1)}) | ${r.kafkaBusOverRaw.toFixed(2)} (rounds: ${r.kafkaBusOverRawPerRound.map((x) => x.toFixed(2)).join(', ')}) |`,
    ),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(outDir, 'transport.md'), md);
  console.log(`\n${md}`);
}

await main();
