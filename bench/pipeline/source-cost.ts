/**
 * Development aid for the pipeline benchmark: the CPU the replay source spends per second of one
 * rig, split into the replay itself (MCAP read, re-timing, re-keying; records handed to a bus that
 * drops them) and the Kafka producer (the same records through KafkaBus to a broker).
 *
 *   KAFKA_BROKERS=127.0.0.1:19092 node --conditions=source --import tsx bench/pipeline/source-cost.ts <rig.mcap> [rate] [seconds]
 *
 * rate: replay speed (default 4, paced like the benchmark's source, one record per publish).
 */
import { replay } from '@sensorfuse/recorder';
import { KafkaBus, MemoryBus, type Bus, type OutgoingRecord } from '@sensorfuse/transport';
import { RigBus } from './rig-bus.js';
import { RAW_TOPICS, rigIdOf } from './workload.js';

const file = process.argv[2] ?? '';
const rate = Number(process.argv[3] ?? 4);
const seconds = Number(process.argv[4] ?? 10);

/** A bus that accepts and drops every record. */
function nullBus(): Bus {
  const memory = new MemoryBus();
  return { admin: memory.admin, subscribe: (o) => memory.subscribe(o), transaction: () => memory.transaction(), close: () => memory.close(), publish: () => Promise.resolve() };
}

async function measure(label: string, bus: Bus, prefix: string): Promise<void> {
  let records = 0;
  let bytes = 0;
  const count = (_topic: string, out: readonly OutgoingRecord[]): void => {
    records += out.length;
    for (const r of out) bytes += r.value.byteLength;
  };
  const rigBus = new RigBus(bus, rigIdOf(0), count);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const controller = replay({ bus: rigBus, files: file, rate, loop: 'forever', retime: 'now', includeTopics: [...RAW_TOPICS], topicPrefix: prefix });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  controller.stop();
  await controller.done;
  await rigBus.flush();
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(`${label}: ${String(records)} records, ${(bytes / 1e6).toFixed(1)} MB in ${wallS.toFixed(1)} s wall, CPU ${cpuS.toFixed(2)} s (user ${(cpu.user / 1e6).toFixed(2)}, sys ${(cpu.system / 1e6).toFixed(2)}) → ${((cpuS / bytes) * 14e6).toFixed(3)} core-s per 14 MB (one rig-second)`);
}

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
await measure('replay → null bus', nullBus(), '');
const kafka = new KafkaBus({ brokers, clientId: 'source-cost', logLevel: 'error' });
const prefix = `source-cost-${Date.now().toString(36)}.`;
await kafka.admin.createTopics(RAW_TOPICS.map((t) => ({ topic: `${prefix}${t}`, partitions: 4, deadLetterTopic: 'none' as const })));
await measure('replay → KafkaBus', kafka, prefix);
await kafka.close();
