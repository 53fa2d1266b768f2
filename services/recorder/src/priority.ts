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
