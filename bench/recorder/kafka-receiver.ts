/**
 * The Kafka receiver of bench/recorder/timing.ts, in its own process (not the pacer's):
 *   node --conditions=source --import tsx bench/recorder/kafka-receiver.ts <brokers> <topics,…> <expected> <out.json>
 * Subscribes from the beginning, prints "ready" once it owns its partitions, and for every record stamps its
 * arrival (performance.now(), this process's clock) next to the record's broker timestamp (LogAppendTime on
 * the bench's topics), its capture time and topic index; writes them as one flat JSON array of numbers
 * [arrivalUs, brokerUs, captureUs, topicIndex, …] once `expected` records arrived (or after 10 min).
 */
import fs from 'node:fs';
import { SchemaCatalog } from '@sensorfuse/recorder';
import { KafkaBus } from '@sensorfuse/transport';

const [brokers = '127.0.0.1:19092', topicList = '', expectedText = '0', out = 'arrivals.json'] = process.argv.slice(2);
const topics = topicList.split(',');
const expected = Number(expectedText);
const catalog = new SchemaCatalog();
const rows: number[] = [];
const bus = new KafkaBus({ brokers: brokers.split(','), clientId: 'bench-timing-receiver', logLevel: 'error', maxMessageBytes: 16 << 20 });
let ready = false;
let finished = false;
const finish = async (): Promise<void> => {
  if (finished) return;
  finished = true;
  fs.writeFileSync(out, JSON.stringify(rows));
  sub.unsubscribe();
  await bus.close();
  process.exit(0);
};
const sub = bus
  .subscribe({
    groupId: `bench-timing-${String(process.pid)}`, topics, fromBeginning: true, highWaterMark: Infinity, highWaterMarkBytes: Infinity,
    onAssignment: (partitions) => {
      if (!ready && partitions.length === topics.length) {
        ready = true;
        process.stdout.write('ready\n');
      }
    },
  })
  .subscribe((r) => {
    rows.push(performance.now() * 1000, r.timestampUs, catalog.lookupValue(r.value)?.timeOf(r.value) ?? NaN, topics.indexOf(r.topic));
    if (rows.length / 4 >= expected) void finish();
  });
setTimeout(() => void finish(), 600_000).unref();
