import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT } from './errors.js';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI as a user would (a child process) and collects its output. */
function cli(args: readonly string[], options: { onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      options.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

describe('sensorfuse CLI', () => {
  it.each([[[]], [['run']], [['up']], [['down']], [['topics']], [['topics', 'create']]])('prints help for %j', async (command) => {
    const result = await cli([...command, '--help']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toMatch(/^Usage: sensorfuse/m);
  });

  it('shows examples in the help of the commands people run first', async () => {
    for (const command of ['run', 'up', 'topics create']) {
      const result = await cli([...command.split(' '), '--help']);
      expect(result.stdout, command).toContain('Examples:');
      expect(result.stdout, command).toContain(`$ sensorfuse ${command}`);
    }
  });

  it('rejects an unknown command with a usage error and a hint, not a stack trace', async () => {
    const result = await cli(['frobnicate']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('add --help for usage');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('names the bad value and the range for a bad option', async () => {
    const result = await cli(['topics', 'create', '--kafka', '127.0.0.1:9', '--partitions', '0']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('--partitions must be an integer in [1, 1024], found "0"');
  });

  it('answers an unknown scenario with the list of known ones', async () => {
    const result = await cli(['run', '--scenario', 'mars-dust']);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('unknown scenario "mars-dust"');
    expect(result.stderr).toContain('urban-day');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports an unreachable Kafka as one line with its own exit code', async () => {
    // Port 9 on loopback (discard) has no Kafka broker behind it.
    const result = await cli(['topics', 'create', '--kafka', '127.0.0.1:9']);
    expect(result.code).toBe(EXIT.kafkaUnreachable);
    expect(result.stderr).toMatch(/^sensorfuse: .+\n {2}hint: is Kafka running\?/);
  });

  it('runs the embedded pipeline, serves the dashboard, shows live status, and drains with a summary on Ctrl-C', async () => {
    let interrupted = false;
    let dashboardPage: Promise<{ status: number; body: string }> | undefined;
    const result = await cli(['run', '--port', '0'], {
      onStdout: (text, child) => {
        const url = /dashboard on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(text)?.[1];
        if (url !== undefined && dashboardPage === undefined) {
          dashboardPage = fetch(url).then(async (response) => ({ status: response.status, body: await response.text() }));
        }
        // Stop once a status line shows LIDAR observations and fused frames flowing.
        if (!interrupted && /status: .*fused\.detections [1-9].*obs\.lidar [1-9]/.test(text)) {
          interrupted = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(interrupted).toBe(true);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain('sensorfuse summary');
    expect(result.stdout).toMatch(/obs\.lidar\s+[1-9]\d* records/);
    expect(result.stdout).toMatch(/fused frames [1-9]/);
    expect(result.stderr).toBe('');
    const page = await dashboardPage;
    expect(page?.status).toBe(200);
    expect(page?.body).toContain('<canvas');
  });

  it('says which port is taken when the dashboard cannot listen', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const result = await cli(['run', '--port', String(port), '--duration', '1']);
      expect(result.code).toBe(EXIT.portInUse);
      expect(result.stderr).toContain(`port ${String(port)}`);
      expect(result.stderr).toContain('hint:');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      server.close();
    }
  });
});
