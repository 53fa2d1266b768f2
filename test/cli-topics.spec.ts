import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KafkaBus } from '@sensorfuse/transport';
import { describe, expect, it } from 'vitest';
import { kafkaBrokers } from './support/infra.js';

const MAIN = fileURLToPath(new URL('../services/cli/src/main.ts', import.meta.url));

function cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

describe('sensorfuse topics create (real Kafka)', () => {
  it('creates every pipeline topic and its dead-letter topic, co-partitioned, and is idempotent', async () => {
    const brokers = kafkaBrokers().join(',');
    const first = await cli(['topics', 'create', '--kafka', brokers, '--partitions', '3']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const again = await cli(['topics', 'create', '--kafka', brokers, '--partitions', '3']);
    expect(again.code).toBe(0);

    const bus = new KafkaBus({ brokers: kafkaBrokers(), logLevel: 'error' });
    try {
      for (const topic of ['raw.lidar', 'raw.lidar.dlq', 'obs.camera', 'fused.detections', 'fused.detections.dlq']) {
        expect(await bus.admin.partitionCount(topic), topic).toBe(3);
      }
    } finally {
      await bus.close();
    }
  });
});
