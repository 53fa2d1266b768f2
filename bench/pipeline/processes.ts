/**
 * Child processes of the pipeline benchmark: each runs TypeScript through tsx with the CPU/memory
 * probe preloaded and an IPC channel, its stdout/stderr to a log file. Probe samples are kept per
 * process so CPU and memory can be attributed per process and per time window.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hotFunctions, type CpuProfile } from './lib/profile.js';
import type { ProbeSample } from './probe.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '../..');
const PROBE = path.join(HERE, 'probe.ts');

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly logFile: string;
  /** Where `node --cpu-prof` writes the process's profile when it exits normally. */
  readonly profileDir: string;
  readonly samples: ProbeSample[];
  /** Resolves with the exit code (or the signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Wall clock (ms since the epoch) when the process ended; 0 while it runs. */
  exitedAtMs: number;
  /** Messages other than probe samples, in arrival order. */
  readonly messages: unknown[];
  onMessage(listener: (message: unknown) => void): void;
}

/** The parent's environment without any SENSORFUSE_* variable (services reject unknown keys of their prefix). */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SENSORFUSE_')) env[k] = v;
  return env;
}

/** V8 CPU profile sampling interval of the children, µs (coarse: a long run stays small and cheap). */
const PROFILE_INTERVAL_US = 10_000;

export function spawnChild(name: string, script: string, env: Record<string, string>, logDir: string): Child {
  const logFile = path.join(logDir, `${name}.log`);
  const log = fs.openSync(logFile, 'a');
  const profileDir = path.join(logDir, `prof-${name}`);
  fs.rmSync(profileDir, { recursive: true, force: true });
  const profile = ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-interval=${String(PROFILE_INTERVAL_US)}`];
  const child = spawn(process.execPath, [...profile, '--conditions=source', '--import', 'tsx', '--import', PROBE, path.resolve(REPO_ROOT, script)], {
    cwd: REPO_ROOT,
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', log, log, 'ipc'],
  });
  fs.closeSync(log);
  const samples: ProbeSample[] = [];
  const messages: unknown[] = [];
  const listeners: ((m: unknown) => void)[] = [];
  child.on('message', (m: unknown) => {
    if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'probe') samples.push(m as ProbeSample);
    else {
      messages.push(m);
      for (const l of listeners) l(m);
    }
  });
  const handle: Child = {
    name,
    process: child,
    logFile,
    profileDir,
    samples,
    exited: new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => {
        handle.exitedAtMs = Date.now();
        resolve(code ?? signal ?? 'unknown');
      });
    }),
    exitedAtMs: 0,
    messages,
    onMessage: (l) => {
      listeners.push(l);
    },
  };
  return handle;
}

/** Asks a child to stop (IPC 'stop', then SIGTERM, then SIGKILL after the grace period). */
export async function stopChild(child: Child, graceMs = 15_000): Promise<number | string> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return child.exited;
  if (child.process.connected) child.process.send('stop');
  else child.process.kill('SIGTERM');
  const term = setTimeout(() => child.process.kill('SIGTERM'), Math.min(3000, graceMs / 2));
  const kill = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  const code = await child.exited;
  clearTimeout(term);
  clearTimeout(kill);
  return code;
}

/** Last lines of a child's log (for error messages). */
export function logTail(child: Child, lines = 15): string {
  try {
    return fs.readFileSync(child.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface CpuWindow {
  /** CPU seconds per wall second in the window (1 = one core busy). */
  readonly cores: number;
  readonly userCores: number;
  readonly rssMeanBytes: number;
  readonly rssMaxBytes: number;
  readonly heapUsedMeanBytes: number;
}

/** CPU and memory of a child between two wall-clock times (ms since the epoch), from its probe samples. */
export function cpuWindow(samples: readonly ProbeSample[], fromMs: number, toMs: number): CpuWindow | undefined {
  const inside = samples.filter((s) => s.atMs >= fromMs && s.atMs <= toMs);
  const first = inside[0];
  const last = inside.at(-1);
  if (first === undefined || last === undefined || last.atMs <= first.atMs) return undefined;
  const wallUs = (last.atMs - first.atMs) * 1000;
  const cpu = (s: ProbeSample): number => s.cpuUserUs + s.cpuSystemUs;
  return {
    cores: (cpu(last) - cpu(first)) / wallUs,
    userCores: (last.cpuUserUs - first.cpuUserUs) / wallUs,
    rssMeanBytes: inside.reduce((a, s) => a + s.rssBytes, 0) / inside.length,
    rssMaxBytes: Math.max(...inside.map((s) => s.rssBytes)),
    heapUsedMeanBytes: inside.reduce((a, s) => a + s.heapUsedBytes, 0) / inside.length,
  };
}

/** Busy fraction of the whole machine (all processes, all cores) from /proc/stat, between two reads. */
export function machineCpuReader(): () => number {
  const read = (): { idle: number; total: number } => {
    try {
      const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
      const f = line.trim().split(/\s+/).slice(1).map(Number);
      const idle = (f[3] ?? 0) + (f[4] ?? 0);
      return { idle, total: f.reduce((a, b) => a + b, 0) };
    } catch {
      return { idle: 0, total: 0 };
    }
  };
  let prev = read();
  return () => {
    const now = read();
    const total = now.total - prev.total;
    const busy = total <= 0 ? Number.NaN : 1 - (now.idle - prev.idle) / total;
    prev = now;
    return busy;
  };
}

/**
 * The hottest functions of a child's CPU profile (written at its exit), optionally only between two
 * wall-clock times (ms since the epoch; start-up compilation left out), or undefined without one.
 * The profile's clock is mapped to the wall clock by its last sample ≈ the process's exit.
 */
export function profileOf(child: Child, top = 8, wall?: { readonly fromMs: number; readonly toMs: number }): ReturnType<typeof hotFunctions> | undefined {
  try {
    const file = fs.readdirSync(child.profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) return undefined;
    const profile = JSON.parse(fs.readFileSync(path.join(child.profileDir, file), 'utf8')) as CpuProfile;
    const spanUs = (profile.endTime ?? 0) - (profile.startTime ?? 0);
    const exitMs = child.exitedAtMs || Date.now();
    const window = wall === undefined || spanUs <= 0 ? undefined : { fromUs: spanUs - (exitMs - wall.fromMs) * 1000, toUs: spanUs - (exitMs - wall.toMs) * 1000 };
    return hotFunctions(profile, top, window);
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const USER_HZ = 100;

/**
 * A probe sample of a process this benchmark did not spawn (the Kafka broker's JVM, Redis), read
 * from /proc/<pid>/stat and /proc/<pid>/statm; undefined when the process is gone or /proc is absent.
 */
export function procSample(pid: number): ProbeSample | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at state: utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const rssPages = Number(fs.readFileSync(`/proc/${String(pid)}/statm`, 'utf8').split(' ')[1]);
    return {
      type: 'probe',
      pid,
      atMs: Date.now(),
      cpuUserUs: (utime / USER_HZ) * 1e6,
      cpuSystemUs: (stime / USER_HZ) * 1e6,
      rssBytes: rssPages * 4096,
      heapUsedBytes: 0,
      heapTotalBytes: 0,
      externalBytes: 0,
    };
  } catch {
    return undefined;
  }
}
