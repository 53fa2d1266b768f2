import { spawn } from 'node:child_process';
import { expect } from 'vitest';

/**
 * Runs a worker service's `src/main.ts` as a child process on the in-memory bus and checks its life
 * cycle the way an orchestrator sees it: ready on /readyz, drains on SIGTERM, exits 0. Shared by every
 * worker's main.spec.ts (`envPrefix` is the service's config prefix, e.g. `SENSORFUSE_LIDAR_`).
 */
export async function expectServiceMainLifecycle(serviceDir: string, envPrefix: string): Promise<void> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'src/main.ts'], {
    cwd: serviceDir,
    env: { ...process.env, [`${envPrefix}BUS_KIND`]: 'memory', [`${envPrefix}BUS_PARTITIONS`]: '1', [`${envPrefix}TELEMETRY_HTTP_PORT`]: '0' },
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
}
