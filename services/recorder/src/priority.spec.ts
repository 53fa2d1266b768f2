import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryBus, type Bus } from '@sensorfuse/transport';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaCatalog } from './catalog.js';
import type { MonotonicClock } from './pacer.js';
import { raiseThreadPriority, type ThreadPriorityApi } from './priority.js';
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
    // the static records go out before the timeline starts; every timed record goes out at the requested value
    expect(seen.slice(-paced.published)).toEqual(Array.from({ length: paced.published }, () => requested));
    seen.length = 0;
    const now = os.getPriority(0);
    const max = await replay({ bus, files, rate: 'max', schedulingPriority: Math.min(19, now + 1) }).done;
    expect(max.schedulingPriorityApplied).toBeUndefined();
    expect(new Set(seen)).toEqual(new Set([now]));
    await bus.close();
  });
});
