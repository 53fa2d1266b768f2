import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const serviceDir = fileURLToPath(new URL('..', import.meta.url));

it('main.ts runs as a service: ready on /readyz, drains on SIGTERM and exits 0', async () => {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts'], {
    cwd: serviceDir,
    env: { ...process.env, SENSORFUSE_AUDIO_BUS_KIND: 'memory', SENSORFUSE_AUDIO_BUS_PARTITIONS: '1', SENSORFUSE_AUDIO_TELEMETRY_HTTP_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const running = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
      const url = /"url":"(http:\/\/[^"]+)"/.exec(log)?.[1];
      if (url !== undefined && log.includes('"to":"running"')) resolve(url);
    });
    void exited.then(() => {
      reject(new Error(`exited before running: ${log}`));
    });
  });
  try {
    const url = await running;
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: ['worker'] });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(log).toMatch(/"from":"draining","to":"stopped"/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
