import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryBus, type Bus } from '@sensorfuse/transport';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaCatalog } from './catalog.js';
import type { MonotonicClock } from './pacer.js';
import { raiseThreadPriority, raiseThreadToRealtime, type RealtimeApi, type ThreadPriorityApi } from './priority.js';
import { replay } from './replay.js';
import { drive } from './samples.spec-helper.js';
import { RecordingWriter } from './writer.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-priority-'));
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });

/** A thread whose nice value starts at `nice`; `allowRaise` false behaves like a process without CAP_SYS_NICE. */
function fakeThread(nice: number, allowRaise: boolean): ThreadPriorityApi & { nice: number; calls: number[] } {
  const t = {
    nice,
    calls: [] as number[],
    getPriority: () => t.nice,
    setPriority: (value: number) => {
      t.calls.push(value);
      if (value < t.nice && !allowRaise) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      t.nice = value;
    },
  };
  return t;
}

describe('raiseThreadPriority', () => {
  it('sets the nice value when permitted and puts the previous one back once on restore', () => {
    const thread = fakeThread(10, true);
    const lines: string[] = [];
    const change = raiseThreadPriority(-10, (l) => lines.push(l), thread);
    expect(change).toMatchObject({ applied: true, previous: 10, requested: -10 });
    expect(thread.nice).toBe(-10);
    change.restore();
    change.restore();
    expect(thread.nice).toBe(10);
    expect(thread.calls).toEqual([-10, 10]);
    expect(lines).toEqual([]);
  });

  it('when refused: one clear line naming the value, the cause and the fix, the priority left as it was', () => {
    const thread = fakeThread(0, false);
    const lines: string[] = [];
    const change = raiseThreadPriority(-10, (l) => lines.push(l), thread);
    expect(change.applied).toBe(false);
    expect(thread.nice).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('nice -10');
    expect(lines[0]).toContain('EACCES');
    expect(lines[0]).toContain('CAP_SYS_NICE');
    change.restore();
    expect(thread.calls).toEqual([-10]);
  });

  it('rejects values that are not nice values', () => {
    const thread = fakeThread(0, true);
    expect(() => raiseThreadPriority(-21, undefined, thread)).toThrow(RangeError);
    expect(() => raiseThreadPriority(1.5, undefined, thread)).toThrow(RangeError);
    expect(thread.calls).toEqual([]);
  });
});

describe('raiseThreadToRealtime', () => {
  const fakeChrt = (fail?: Error, before: ReturnType<RealtimeApi['current']> = { policy: 'other', priority: 0 }): RealtimeApi & { calls: string[][] } => {
    const calls: string[][] = [];
    return { calls, threadId: () => 4242, current: () => before, chrt: (args) => { calls.push([...args]); if (fail !== undefined && args[0] === '-f') throw fail; } };
  };

  it('runs chrt -f on this thread id only, and chrt -o (SCHED_OTHER) once on restore', () => {
    const api = fakeChrt();
    const lines: string[] = [];
    const change = raiseThreadToRealtime(10, (l) => lines.push(l), api);
    expect(change.applied).toBe(true);
    change.restore();
    change.restore();
    expect(api.calls).toEqual([['-f', '-p', '10', '4242'], ['-o', '-p', '0', '4242']]);
    expect(lines).toEqual([]);
  });

  it('a thread that was already real-time (a replay started under chrt -r 5) gets that policy back, not SCHED_OTHER', () => {
    const api = fakeChrt(undefined, { policy: 'rr', priority: 5 });
    raiseThreadToRealtime(20, undefined, api).restore();
    expect(api.calls).toEqual([['-f', '-p', '20', '4242'], ['-r', '-p', '5', '4242']]);
  });

  it('when chrt is refused: one line with the reason from chrt and what is needed, the thread left alone', () => {
    const api = fakeChrt(Object.assign(new Error('Command failed: chrt'), { stderr: Buffer.from('chrt: failed to set pid 4242\'s policy: Operation not permitted\n') }));
    const lines: string[] = [];
    const change = raiseThreadToRealtime(10, (l) => lines.push(l), api);
    expect(change.applied).toBe(false);
    change.restore();
    expect(api.calls).toEqual([['-f', '-p', '10', '4242']]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('SCHED_FIFO 10');
    expect(lines[0]).toContain('Operation not permitted');
    expect(lines[0]).toContain('CAP_SYS_NICE');
  });

  it('rejects priorities outside SCHED_FIFO 1..99 before touching the thread', () => {
    const api = fakeChrt();
    expect(() => raiseThreadToRealtime(0, undefined, api)).toThrow(RangeError);
    expect(() => raiseThreadToRealtime(100, undefined, api)).toThrow(RangeError);
    expect(api.calls).toEqual([]);
  });

  it('on this machine: the thread id read from /proc is the one whose policy chrt reports (when Linux and chrt are there)', async () => {
    const { execFileSync } = await import('node:child_process');
    let tid: number;
    try {
      tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
      execFileSync('chrt', ['-p', String(tid)]);
    } catch {
      console.warn('skipped: no /proc/thread-self or no chrt (not Linux with util-linux)');
      return;
    }
    const lines: string[] = [];
    const change = raiseThreadToRealtime(3, (l) => lines.push(l));
    const during = execFileSync('chrt', ['-p', String(tid)]).toString();
    change.restore();
    const after = execFileSync('chrt', ['-p', String(tid)]).toString();
    if (change.applied) {
      expect(during).toContain('SCHED_FIFO');
      expect(during).toMatch(/priority: 3\b/);
    } else {
      // not root and no CAP_SYS_NICE: the refusal was said, and nothing changed
      expect(lines).toHaveLength(1);
      expect(during).not.toContain('SCHED_FIFO');
    }
    expect(after).toContain('SCHED_OTHER');
  });
});

/** Time passes only when the replay sleeps: a paced replay on it runs at once. */
const instantClock = (): MonotonicClock => {
  let now = 0;
  return { nowUs: () => now, sleepUntilUs: (t) => { now = Math.max(now, t); return Promise.resolve(); } };
};

describe('replay schedulingPriority', () => {
  it('a paced replay publishes at the requested nice value (one lower priority than now: permitted without root); rate max ignores it', async () => {
    const writer = new RecordingWriter({ path: path.join(dir, 'drive.mcap'), catalog: new SchemaCatalog() });
    for (const e of drive(1)) {
      const headers = Object.fromEntries(Object.entries(e.record.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)]));
      await writer.add({ topic: e.topic, key: e.record.key === null ? null : Buffer.from(e.record.key), headers, value: e.record.value, timestampUs: e.captureTimeUs });
    }
    const files = [...(await writer.close()).files];
    const before = os.getPriority(0);
    const requested = Math.min(19, before + 1);
    const inner = new MemoryBus();
    await inner.admin.createTopics(['raw.camera', 'raw.lidar', 'calibration.rig', 'sim.truth'].map((topic) => ({ topic, partitions: 1, maxMessageBytes: 16 << 20 })));
    const seen: number[] = [];
    const bus: Bus = {
      admin: inner.admin, subscribe: (o) => inner.subscribe(o), transaction: () => inner.transaction(), close: () => inner.close(),
      publish: (topic, records) => { seen.push(os.getPriority(0)); return inner.publish(topic, records); },
    };
    const paced = await replay({ bus, files, rate: 1, clock: instantClock(), reader: 'inline', schedulingPriority: requested }).done;
    expect(paced.published).toBeGreaterThan(10);
    expect(paced.schedulingPriorityApplied).toBe(true);
    expect(paced.realtimeApplied).toBeUndefined();
    // the static records go out before the timeline starts; every timed record goes out at the requested value
    expect(seen.slice(-paced.published)).toEqual(Array.from({ length: paced.published }, () => requested));
    seen.length = 0;
    const now = os.getPriority(0);
    const max = await replay({ bus, files, rate: 'max', schedulingPriority: Math.min(19, now + 1) }).done;
    expect(max.schedulingPriorityApplied).toBeUndefined();
    expect(new Set(seen)).toEqual(new Set([now]));
    await bus.close();
  });

  it('realtimePriority: the pacing thread publishes under SCHED_FIFO and is ordinary again afterwards (or says why not)', async () => {
    const policyOf = (): { policy: number; rtPriority: number } | undefined => {
      try {
        const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
        return { rtPriority: Number(fields[40 - 3]), policy: Number(fields[41 - 3]) };
      } catch {
        return undefined;
      }
    };
    if (policyOf() === undefined) {
      console.warn('skipped: no /proc/thread-self/stat (not Linux)');
      return;
    }
    const writer = new RecordingWriter({ path: path.join(dir, 'rt.mcap'), catalog: new SchemaCatalog() });
    for (const e of drive(1)) await writer.add({ topic: e.topic, key: e.record.key === null ? null : Buffer.from(e.record.key), headers: {}, value: e.record.value, timestampUs: e.captureTimeUs });
    const files = [...(await writer.close()).files];
    const inner = new MemoryBus();
    await inner.admin.createTopics(['raw.camera', 'raw.lidar', 'calibration.rig', 'sim.truth'].map((topic) => ({ topic, partitions: 1, maxMessageBytes: 16 << 20 })));
    const seen: ({ policy: number; rtPriority: number } | undefined)[] = [];
    const bus: Bus = {
      admin: inner.admin, subscribe: (o) => inner.subscribe(o), transaction: () => inner.transaction(), close: () => inner.close(),
      publish: (topic, records) => { seen.push(policyOf()); return inner.publish(topic, records); },
    };
    const lines: string[] = [];
    const stats = await replay({ bus, files, rate: 1, clock: instantClock(), reader: 'inline', realtimePriority: 4, log: (l) => lines.push(l) }).done;
    await bus.close();
    const timed = seen.slice(-stats.published);
    if (stats.realtimeApplied === true) {
      // SCHED_FIFO is policy 1
      expect(timed).toEqual(Array.from({ length: stats.published }, () => ({ policy: 1, rtPriority: 4 })));
      expect(lines).toEqual([]);
    } else {
      expect(stats.realtimeApplied).toBe(false);
      expect(lines).toHaveLength(1);
      expect(new Set(timed.map((p) => p?.policy))).toEqual(new Set([0]));
    }
    expect(policyOf()).toEqual({ policy: 0, rtPriority: 0 });
  });
});
