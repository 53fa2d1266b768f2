import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

/** The two calls `raiseThreadPriority` needs (node:os by default; injected in tests). */
export interface ThreadPriorityApi {
  /** Nice value of the calling thread (Linux: `getpriority(PRIO_PROCESS, 0)` is per thread). */
  getPriority(): number;
  /** Sets the calling thread's nice value; throws when not permitted (EACCES / EPERM). */
  setPriority(nice: number): void;
}

const osThreadPriority: ThreadPriorityApi = {
  getPriority: () => os.getPriority(0),
  setPriority: (nice) => {
    os.setPriority(0, nice);
  },
};

export interface ThreadPriorityChange {
  /** True when the requested nice value is in force. */
  readonly applied: boolean;
  /** Nice value before the change. */
  readonly previous: number;
  /** What was asked for. */
  readonly requested: number;
  /** Puts the previous nice value back (a no-op when nothing was changed). */
  restore(): void;
}

/**
 * Gives the calling thread — the replay's pacing thread — the nice value `nice` (−20 highest … 19
 * lowest), as rosbag2 users do with `chrt`/`nice` for playback: a thread with a lower nice value is
 * preempted less by other runnable work and preempts it sooner when its timer fires. On Linux nice is
 * per thread, so the reader thread and the GC helper threads keep theirs. Raising priority (a lower
 * value) needs root or CAP_SYS_NICE (or RLIMIT_NICE); when it is refused the replay goes on at the
 * current priority and one line saying so goes to `log`.
 */
export function raiseThreadPriority(
  nice: number,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  api: ThreadPriorityApi = osThreadPriority,
): ThreadPriorityChange {
  if (!Number.isInteger(nice) || nice < -20 || nice > 19) throw new RangeError(`schedulingPriority must be an integer nice value in -20..19, got ${String(nice)}`);
  const previous = api.getPriority();
  const unchanged = (applied: boolean): ThreadPriorityChange => ({ applied, previous, requested: nice, restore: () => undefined });
  if (previous === nice) return unchanged(true);
  try {
    api.setPriority(nice);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    log(
      `replay: could not set the pacing thread's priority to nice ${String(nice)} (${typeof code === 'string' ? code : String(error)}); ` +
        `pacing at nice ${String(previous)}. Raising priority needs root or CAP_SYS_NICE (e.g. setcap cap_sys_nice+ep $(which node), or run under chrt/sudo)`,
    );
    return unchanged(false);
  }
  let restored = false;
  return {
    applied: true,
    previous,
    requested: nice,
    restore: () => {
      if (restored) return;
      restored = true;
      try {
        api.setPriority(previous);
      } catch {
        // going back to a lower priority (higher nice) is always permitted; nothing to do if it is not
      }
    },
  };
}

/** How `raiseThreadToRealtime` reaches the scheduler (util-linux `chrt` on this thread's id by default; injected in tests). */
export interface RealtimeApi {
  /** Kernel id of the calling thread (Linux: from /proc/thread-self). */
  threadId(): number;
  /** Runs `chrt` with these arguments; throws when it fails (missing binary, EPERM). */
  chrt(args: readonly string[]): void;
  /** The calling thread's policy and real-time priority now (so restore puts back what was there). */
  current(): { readonly policy: 'other' | 'fifo' | 'rr'; readonly priority: number };
}

/** Linux policy numbers of /proc/<tid>/stat field 41 (SCHED_OTHER 0, SCHED_FIFO 1, SCHED_RR 2; batch and idle count as other). */
const POLICIES: Record<number, 'fifo' | 'rr'> = { 1: 'fifo', 2: 'rr' };

const linuxRealtime: RealtimeApi = {
  threadId: () => {
    const link = fs.readlinkSync('/proc/thread-self'); // "<pid>/task/<tid>"
    const tid = Number(link.split('/').pop());
    if (!Number.isInteger(tid)) throw new Error(`unexpected /proc/thread-self link "${link}"`);
    return tid;
  },
  chrt: (args) => {
    execFileSync('chrt', [...args], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 5_000 });
  },
  current: () => {
    const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
    const policy = POLICIES[Number(fields[41 - 3])] ?? 'other';
    return { policy, priority: policy === 'other' ? 0 : Number(fields[40 - 3]) };
  },
};

/**
 * Puts the calling thread — the replay's pacing thread — under SCHED_FIFO at `priority` (1–99), what
 * rosbag2 users do with `chrt -f`: a real-time thread is never preempted by ordinary (CFS) work and runs
 * as soon as its timer fires. Unlike nice, this holds across sessions: with autogroup scheduling (most
 * Linux systems) a nice value only counts against the caller's own session, which is why nice −10 did not
 * help here (README, Performance). Only this thread is changed (the reader thread and GC helpers stay
 * ordinary); `restore()` puts back the policy it had (SCHED_OTHER, or that of a process started under chrt). Needs root or CAP_SYS_NICE and util-linux `chrt`;
 * when either is missing the replay goes on unchanged and one line saying so goes to `log`. The kernel's
 * real-time throttling (95 % of each second by default) bounds what a busy wait can take.
 */
export function raiseThreadToRealtime(
  priority: number,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  api: RealtimeApi = linuxRealtime,
): { readonly applied: boolean; restore(): void } {
  if (!Number.isInteger(priority) || priority < 1 || priority > 99) throw new RangeError(`realtimePriority must be an integer SCHED_FIFO priority in 1..99, got ${String(priority)}`);
  let tid: number;
  let before: ReturnType<RealtimeApi['current']>;
  try {
    tid = api.threadId();
    before = api.current();
    api.chrt(['-f', '-p', String(priority), String(tid)]);
  } catch (error) {
    const stderr = (error as { stderr?: unknown }).stderr;
    const why = Buffer.isBuffer(stderr) && stderr.length > 0 ? stderr.toString().trim() : error instanceof Error ? error.message : String(error);
    log(
      `replay: could not make the pacing thread real-time (SCHED_FIFO ${String(priority)}: ${why}); pacing with ordinary scheduling. ` +
        'It needs Linux, util-linux chrt and root or CAP_SYS_NICE (or start the whole replay under chrt -f)',
    );
    return { applied: false, restore: () => undefined };
  }
  let restored = false;
  return {
    applied: true,
    restore: () => {
      if (restored) return;
      restored = true;
      // back to what the thread had (SCHED_OTHER, or the policy of a replay started under chrt)
      const flag = before.policy === 'fifo' ? '-f' : before.policy === 'rr' ? '-r' : '-o';
      try {
        api.chrt([flag, '-p', String(before.priority), String(tid)]);
      } catch {
        // going back to the previous policy is permitted (it was ours); a missing chrt cannot happen here (it ran above)
      }
    },
  };
}
