import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KafkaBus, RecordTooLargeError } from '@sensorfuse/transport';
import { describeBusConformance } from '@sensorfuse/transport/testing';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { kafkaBrokers, uniqueName } from './support/infra.js';

// The same conformance suite as MemoryBus, over a real Kafka broker.
describeBusConformance('KafkaBus', () => new KafkaBus({ brokers: kafkaBrokers(), clientId: uniqueName('conformance'), logLevel: 'error' }));

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('KafkaBus against the broker', () => {
  it('redelivers the uncommitted records of a consumer process killed with SIGKILL', async () => {
    const topic = uniqueName('kafka-killed');
    const groupId = uniqueName('g');
    const bus = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'error' });
    try {
      await bus.admin.createTopics([{ topic, partitions: 1 }]);
      await bus.publish(topic, Array.from({ length: 10 }, (_, i) => ({ key: 'rig-1', value: Buffer.from(String(i)) })));
      // The child commits records 0..2, receives 3..9, then dies without leaving the group.
      const child = spawn(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', 'test/transport-consumer-child.ts', kafkaBrokers().join(','), topic, groupId, '10', '3'],
        { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      while (!output.includes('ready')) {
        if (child.exitCode !== null) throw new Error(`consumer child exited early with ${String(child.exitCode)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(output).toContain('ready 9');
      child.kill('SIGKILL');
      await once(child, 'exit');
      // The next member of the group starts after the last commit: records 3..9 again.
      const again = await firstValueFrom(bus.subscribe({ groupId, topics: [topic], fromBeginning: true }).pipe(take(7), toArray()));
      expect(again.map((r) => r.value.toString())).toEqual(['3', '4', '5', '6', '7', '8', '9']);
    } finally {
      await bus.close();
    }
  });

  it("maps the broker's MESSAGE_TOO_LARGE to RecordTooLargeError when the bus did not create the topic", async () => {
    const topic = uniqueName('kafka-oversize');
    const creator = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'nothing' });
    const stranger = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'nothing' });
    try {
      await creator.admin.createTopics([{ topic, partitions: 1, maxMessageBytes: 512 * 1024 }]);
      // `stranger` does not know the topic's limit, so the broker itself has to refuse the record.
      const error: unknown = await stranger.publish(topic, [{ key: 'rig-1', value: randomBytes(768 * 1024) }]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RecordTooLargeError);
    } finally {
      await Promise.all([creator.close(), stranger.close()]);
    }
  });
});
