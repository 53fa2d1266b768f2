/**
 * A consumer process for test/transport-kafka.spec.ts to SIGKILL: it joins the group, commits the
 * first `commitCount` records, receives the rest without committing, prints "ready" and waits.
 *   node --conditions=source --import tsx test/transport-consumer-child.ts <brokers> <topic> <group> <total> <commitCount>
 */
import { KafkaBus } from '@sensorfuse/transport';

const [brokers = '', topic = '', groupId = '', total = '0', commitCount = '0'] = process.argv.slice(2);
const bus = new KafkaBus({ brokers: brokers.split(','), logLevel: 'nothing', sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 });
let received = 0;
let committed: Promise<void> = Promise.resolve();
bus.subscribe({ groupId, topics: [topic], fromBeginning: true }).subscribe((record) => {
  received += 1;
  if (received <= Number(commitCount)) committed = record.commit();
  if (received === Number(total)) {
    // Say "ready" only once the broker has the commits.
    void committed.then(() => {
      process.stdout.write(`ready ${record.offset}\n`);
    });
  }
});
