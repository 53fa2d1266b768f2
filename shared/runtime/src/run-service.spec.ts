import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SensorfuseError } from '@sensorfuse/errors';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ServiceDrainError,
  ServiceFatalError,
  ServiceStartError,
  ShutdownTimeoutError,
  runService,
  type RunServiceOptions,
  type ServiceState,
  type StateChange,
} from './index.js';

interface Harness {
  readonly controller: AbortController;
  readonly changes: StateChange[];
  states(): ServiceState[];
  run(options: Partial<RunServiceOptions>): ReturnType<typeof runService>;
}

function harness(): Harness {
  const controller = new AbortController();
  const changes: StateChange[] = [];
  return {
    controller,
    changes,
    states: () => changes.map((change) => change.to),
    run: (options) =>
      runService({
        name: 'test-worker',
        graceMs: 1000,
        start: () => undefined,
        drain: () => undefined,
        signals: [],
        exit: 'none',
        signal: controller.signal,
        onStateChange: (change) => changes.push(change),
        ...options,
      }),
  };
}

function waitForState(h: Harness, state: ServiceState): Promise<void> {
  return new Promise((resolve) => {
    const poll = (): void => {
      if (h.states().includes(state)) resolve();
      else setImmediate(poll);
    };
    poll();
  });
}

describe('runService', () => {
  it('runs until aborted, then drains and stops with exit code 0', async () => {
    const h = harness();
    const drainCalls: { reason: unknown; signalAborted: boolean }[] = [];
    let startSignal: AbortSignal | undefined;
    const done = h.run({
      start: (ctx) => {
        startSignal = ctx.signal;
      },
      drain: ({ reason }) => {
        drainCalls.push({ reason, signalAborted: startSignal?.aborted ?? false });
      },
    });
    await waitForState(h, 'running');
    expect(drainCalls).toEqual([]);
    h.controller.abort();
    const outcome = await done;
    expect(outcome).toEqual({ service: 'test-worker', state: 'stopped', exitCode: 0, reason: { kind: 'abort' } });
    expect(h.states()).toEqual(['starting', 'running', 'draining', 'stopped']);
    expect(h.changes[0]).toEqual({ service: 'test-worker', from: undefined, to: 'starting' });
    expect(h.changes[2]).toEqual({ service: 'test-worker', from: 'running', to: 'draining', reason: { kind: 'abort' } });
    expect(drainCalls).toEqual([{ reason: { kind: 'abort' }, signalAborted: true }]);
  });

  it('ends with a typed ShutdownTimeoutError when draining outlasts the grace period', async () => {
    const h = harness();
    const done = h.run({ graceMs: 30, drain: () => new Promise<void>(() => undefined) });
    await waitForState(h, 'running');
    h.controller.abort();
    const outcome = await done;
    expect(outcome.state).toBe('failed');
    expect(outcome.exitCode).toBe(1);
    expect(outcome.error).toBeInstanceOf(ShutdownTimeoutError);
    expect(outcome.error).toBeInstanceOf(SensorfuseError);
    expect(outcome.error?.message).toBe(
      'test-worker did not drain within its grace period of 30 ms; giving up on in-flight work',
    );
    expect((outcome.error as ShutdownTimeoutError).context).toEqual({ service: 'test-worker', graceMs: 30 });
    expect(h.states()).toEqual(['starting', 'running', 'draining', 'failed']);
    expect(h.changes.at(-1)?.error).toBe(outcome.error);
  });

  it('fails with ServiceStartError when start rejects, never running, and still drains what was started', async () => {
    const h = harness();
    const cause = new Error('broker 127.0.0.1:9092 refused the connection');
    let drained = 0;
    const outcome = await h.run({
      start: () => Promise.reject(cause),
      drain: () => {
        drained += 1;
      },
    });
    expect(h.states()).toEqual(['starting', 'draining', 'failed']);
    expect(outcome.error).toBeInstanceOf(ServiceStartError);
    expect(outcome.error?.cause).toBe(cause);
    expect(outcome.error?.message).toBe('test-worker failed to start: broker 127.0.0.1:9092 refused the connection');
    expect(outcome.reason.kind).toBe('start-failed');
    expect(outcome.exitCode).toBe(1);
    expect(drained).toBe(1);
  });

  it('drains and fails when the service reports a fatal error while running', async () => {
    const h = harness();
    const crash = new Error('consumer crashed');
    const outcome = await h.run({
      start: (ctx) => {
        setTimeout(() => {
          ctx.fail(crash);
        }, 1);
      },
    });
    expect(h.states()).toEqual(['starting', 'running', 'draining', 'failed']);
    expect(outcome.error).toBeInstanceOf(ServiceFatalError);
    expect(outcome.error?.cause).toBe(crash);
    expect(outcome.reason).toEqual({ kind: 'fatal', error: outcome.error });
  });

  it('fails with ServiceDrainError when drain rejects', async () => {
    const h = harness();
    h.controller.abort();
    const cause = new Error('offset commit failed');
    const outcome = await h.run({ drain: () => Promise.reject(cause) });
    expect(outcome.error).toBeInstanceOf(ServiceDrainError);
    expect(outcome.error?.cause).toBe(cause);
    expect(outcome.state).toBe('failed');
  });

  it('goes from starting straight to draining when shutdown comes during start, and waits for start before draining', async () => {
    const h = harness();
    const order: string[] = [];
    let finishStart: () => void = () => undefined;
    const done = h.run({
      start: (ctx) =>
        new Promise<void>((resolve) => {
          ctx.signal.addEventListener('abort', () => order.push('start saw abort'));
          finishStart = () => {
            order.push('start finished');
            resolve();
          };
        }),
      drain: () => {
        order.push('drain');
      },
    });
    await waitForState(h, 'starting');
    h.controller.abort();
    await waitForState(h, 'draining');
    finishStart();
    const outcome = await done;
    expect(outcome.state).toBe('stopped');
    expect(h.states()).toEqual(['starting', 'draining', 'stopped']);
    expect(order).toEqual(['start saw abort', 'start finished', 'drain']);
  });

  it('counts the grace period from the shutdown request when start-up hangs', async () => {
    const h = harness();
    h.controller.abort();
    const outcome = await h.run({ graceMs: 20, start: () => new Promise<void>(() => undefined) });
    expect(outcome.error).toBeInstanceOf(ShutdownTimeoutError);
    expect(h.states()).toEqual(['starting', 'draining', 'failed']);
  });

  describe('process integration', () => {
    const savedExitCode = process.exitCode;
    afterEach(() => {
      process.exitCode = savedExitCode;
    });

    it('sets the process exit code from the outcome by default', async () => {
      const h = harness();
      h.controller.abort();
      await h.run({ exit: undefined, drain: () => Promise.reject(new Error('x')) });
      expect(process.exitCode).toBe(1);
      const clean = harness();
      clean.controller.abort();
      await clean.run({ exit: undefined });
      expect(process.exitCode).toBe(0);
    });

    it('removes its signal listeners when done and survives a throwing state listener', async () => {
      const before = process.listenerCount('SIGUSR2');
      const h = harness();
      const done = h.run({
        signals: ['SIGUSR2'],
        onStateChange: () => {
          throw new Error('broken dashboard listener');
        },
      });
      expect(process.listenerCount('SIGUSR2')).toBe(before + 1);
      h.controller.abort();
      expect((await done).state).toBe('stopped');
      expect(process.listenerCount('SIGUSR2')).toBe(before);
    });
  });
});

describe('runService in a real process', () => {
  const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
  const fixture = fileURLToPath(new URL('./service-child.fixture.ts', import.meta.url));

  function runChild(mode: 'clean' | 'hang' | 'interrupt'): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', fixture, mode], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let signalled = 0;
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk;
        const lines = stdout.split('\n');
        if (signalled === 0 && lines.includes('running')) {
          signalled = 1;
          child.kill('SIGTERM');
        }
        if (mode === 'interrupt' && signalled === 1 && lines.includes('draining')) {
          signalled = 2;
          child.kill('SIGTERM');
        }
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        resolve({ code, stdout, stderr });
      });
    });
  }

  it('drains on SIGTERM and exits 0', async () => {
    const result = await runChild('clean');
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n')).toEqual(['starting', 'running', 'draining', 'stopped']);
    expect(result.code).toBe(0);
  });

  it('exits 1 with ShutdownTimeoutError when the drain hangs past the grace period', async () => {
    const result = await runChild('hang');
    expect(result.stdout.trim().split('\n')).toEqual(['starting', 'running', 'draining', 'failed ShutdownTimeoutError']);
    expect(result.code).toBe(1);
  });

  it('stops at once with ShutdownInterruptedError on a second SIGTERM while draining', async () => {
    const result = await runChild('interrupt');
    expect(result.stdout.trim().split('\n')).toEqual(['starting', 'running', 'draining', 'failed ShutdownInterruptedError']);
    expect(result.code).toBe(1);
  });
});
