import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryBus, type Bus } from '@sensorfuse/transport';
import { describe, expect, it } from 'vitest';
import { ContentionGovernor, Pacer, systemClock, type MonotonicClock } from './pacer.js';
import { replay } from './replay.js';
import { RecordingWriter } from './writer.js';
import { SchemaCatalog } from './catalog.js';
import { calibration, calibrationCodec, camera, cameraCodec, T0_US } from './samples.spec-helper.js';

/** A virtual monotonic clock: sleeping overshoots by a pseudo-random 0..maxOvershootUs, like a timer. */
class FakeClock implements MonotonicClock {
  now = 5_000_000;
  #seed = 12345;
  constructor(readonly maxOvershootUs: number) {}
  #rand(): number {
    this.#seed = (this.#seed * 1103515245 + 12345) % 2147483648;
    return this.#seed / 2147483648;
  }
  nowUs(): number {
    return this.now;
  }
  sleepUntilUs(targetUs: number): Promise<void> {
    if (targetUs > this.now) this.now = targetUs + Math.floor(this.#rand() * this.maxOvershootUs);
    return Promise.resolve();
  }
}

describe('Pacer', () => {
  it('keeps every send within one timer overshoot of its absolute due time (no drift over 10 000 messages)', async () => {
    const clock = new FakeClock(3_000);
    const pacer = new Pacer({ rate: 1, maxLagUs: 20_000 }, clock);
    const start = clock.now;
    pacer.anchor(0);
    let worst = 0;
    for (let i = 0; i < 10_000; i++) {
      const logUs = i * 10_000; // 100 Hz
      await pacer.wait(logUs);
      clock.now += 200; // publishing takes 0.2 ms
      worst = Math.max(worst, clock.now - (start + logUs));
    }
    // A relative scheduler (sleep(gap) after each send) would be ~10 000 × 1.7 ms ≈ 17 s late by now.
    expect(worst).toBeLessThanOrEqual(3_000 + 200);
    expect(pacer.reanchors).toBe(0);
  });

  it('applies the rate factor to the gaps', async () => {
    const clock = new FakeClock(0);
    const pacer = new Pacer({ rate: 4, maxLagUs: 20_000 }, clock);
    const start = clock.now;
    pacer.anchor(1_000_000);
    await pacer.wait(1_000_000);
    await pacer.wait(1_400_000);
    expect(clock.now - start).toBe(100_000);
  });

  it('after a stall longer than maxLag it re-anchors instead of sending the backlog in a burst', async () => {
    const clock = new FakeClock(0);
    const pacer = new Pacer({ rate: 1, maxLagUs: 20_000 }, clock);
    pacer.anchor(0);
    const sends: number[] = [];
    for (let i = 0; i < 40; i++) {
      await pacer.wait(i * 50_000);
      sends.push(clock.now);
      if (i === 10) clock.now += 300_000; // a publish that hangs for 300 ms
    }
    expect(pacer.reanchors).toBe(1);
    const gaps = sends.slice(1).map((t, i) => t - (sends[i] ?? 0));
    // every gap keeps the original 50 ms spacing (the stall gap is longer), none is a burst
    expect(Math.min(...gaps)).toBe(50_000);
  });

  it('rejects a rate that is not a positive number', () => {
    expect(() => new Pacer({ rate: 0, maxLagUs: 1 }, new FakeClock(0))).toThrow(RangeError);
  });
});

describe('ContentionGovernor (auto pacing: when busy-waiting stops)', () => {
  it('suspends precise waiting after 23 preempted spins in a row (1 − (63/64)^n > 0.3 first at n = 23), for the back-off, then tries again', () => {
    const g = new ContentionGovernor({ backOffUs: 5_000_000 });
    for (let n = 1; n <= 22; n++) {
      g.record(true, n * 1_000);
      expect(g.precise(n * 1_000)).toBe(true);
    }
    g.record(true, 23_000);
    expect(g.backOffs).toBe(1);
    expect(g.precise(23_000)).toBe(false);
    expect(g.precise(23_000 + 4_999_999)).toBe(false);
    expect(g.precise(23_000 + 5_000_000)).toBe(true);
    // it starts over from zero: one more preempted spin does not suspend it again
    g.record(true, 5_024_000);
    expect(g.precise(5_024_000)).toBe(true);
  });

  it('with a threshold of 0.1 it suspends after 7 (1 − (63/64)^n > 0.1 first at n = 7)', () => {
    const g = new ContentionGovernor({ threshold: 0.1 });
    for (let n = 1; n <= 6; n++) g.record(true, n);
    expect(g.backOffs).toBe(0);
    g.record(true, 7);
    expect(g.backOffs).toBe(1);
  });

  it('keeps busy-waiting when only an occasional spin is preempted (1 in 20: the fraction settles near 0.05)', () => {
    const g = new ContentionGovernor();
    for (let i = 0; i < 2_000; i++) g.record(i % 20 === 0, i * 5_000);
    expect(g.backOffs).toBe(0);
    expect(g.precise(10_000_000)).toBe(true);
    expect(g.preemptedFraction).toBeGreaterThan(0.03);
    expect(g.preemptedFraction).toBeLessThan(0.08);
  });
});

describe('systemClock (the real monotonic clock)', () => {
  // 0.3 s of a camera 30 Hz + IMU 200 Hz schedule, as replayed
  const dues = [...Array.from({ length: 10 }, (_, i) => i * 33_333), ...Array.from({ length: 60 }, (_, i) => 1_000 + i * 5_000)].sort((a, b) => a - b);

  for (const pacing of ['precise', 'auto', 'low-cpu'] as const) {
    it(`${pacing}: every wait ends at or after its due time, never before, in due order`, async () => {
      const clock = systemClock({ pacing });
      const start = clock.nowUs() + 5_000;
      let previous = -Infinity;
      for (const due of dues) {
        await clock.sleepUntilUs(start + due);
        const now = clock.nowUs();
        expect(now).toBeGreaterThanOrEqual(start + due);
        expect(now).toBeGreaterThanOrEqual(previous);
        previous = now;
      }
    });
  }

  it('precise: the busy part of the wait still runs timers and queued callbacks (Bus deliveries, I/O) before it ends', async () => {
    // a margin longer than the wait: all of it is the busy part
    const clock = systemClock({ pacing: 'precise', marginUs: 1_000_000 });
    const order: string[] = [];
    setImmediate(() => order.push('immediate'));
    setTimeout(() => order.push('timer'), 1);
    await clock.sleepUntilUs(clock.nowUs() + 500_000);
    order.push('wait ended');
    expect(order).toEqual(['immediate', 'timer', 'wait ended']);
  });

  it('auto: a wait that starts while another auto wait is in progress (two replays in one process) uses timers only', async () => {
    const first = systemClock({ pacing: 'auto' });
    const second = systemClock({ pacing: 'auto' });
    const due = first.nowUs() + 20_000;
    await Promise.all([first.sleepUntilUs(due), second.sleepUntilUs(due + 1_000)]);
    expect(first.waits).toEqual({ precise: 1, timersOnly: 0 });
    expect(second.waits).toEqual({ precise: 0, timersOnly: 1 });
    // alone again, the second one busy-waits
    await second.sleepUntilUs(second.nowUs() + 5_000);
    expect(second.waits).toEqual({ precise: 1, timersOnly: 1 });
  });

  it('rejects a negative or non-finite margin', () => {
    expect(() => systemClock({ marginUs: -1 })).toThrow(RangeError);
    expect(() => systemClock({ marginUs: Number.NaN })).toThrow(RangeError);
  });
});

describe('replay pacing and seek (injected clock)', () => {
  async function writeRecording(file: string): Promise<void> {
    const w = new RecordingWriter({ path: file, catalog: new SchemaCatalog(), chunkBytes: 4096 });
    const h = (ct: string): Record<string, Buffer> => ({ 'content-type': Buffer.from(ct) });
    await w.add({ topic: 'calibration.rig', key: Buffer.from('rig'), headers: h('cal'), value: calibrationCodec.encode(calibration('rig', T0_US - 5_000_000)), timestampUs: 1 });
    // camera at 30 Hz for 2 s: 33 333 µs gaps
    for (let i = 0; i < 60; i++) {
      const t = T0_US + Math.round(i * 33_333.3);
      await w.add({ topic: 'raw.camera', key: Buffer.from('rig'), headers: h('cam'), value: cameraCodec.encode(camera('rig', i, t)), timestampUs: 1 });
    }
    await w.close();
  }

  function timedBus(bus: Bus, clock: FakeClock, log: { topic: string; atUs: number; captureTimeUs: number }[]): Bus {
    return {
      admin: bus.admin, subscribe: (o) => bus.subscribe(o), transaction: () => bus.transaction(), close: () => bus.close(),
      publish: (topic, records) => {
        for (const r of records) {
          log.push({ topic, atUs: clock.now, captureTimeUs: topic === 'raw.camera' ? cameraCodec.decode(r.value).captureTimeUs : calibrationCodec.decode(r.value).validFromUs });
        }
        clock.now += 300;
        return bus.publish(topic, records);
      },
    };
  }

  it('publishes with the original gaps divided by the rate, skipping the calibration-to-first-frame gap', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pace-')), 'r.mcap');
    await writeRecording(file);
    const bus = new MemoryBus();
    await bus.admin.createTopics([{ topic: 'raw.camera', partitions: 1 }, { topic: 'calibration.rig', partitions: 1 }]);
    const clock = new FakeClock(1_000);
    const log: { topic: string; atUs: number; captureTimeUs: number }[] = [];
    const stats = await replay({ bus: timedBus(bus, clock, log), files: file, rate: 2, clock }).done;
    const cams = log.filter((l) => l.topic === 'raw.camera');
    expect(cams).toHaveLength(60);
    expect(log[0]?.topic).toBe('calibration.rig'); // before the first frame, not 5 s before it
    const t0 = cams[0]?.atUs ?? 0;
    const c0 = cams[0]?.captureTimeUs ?? 0;
    for (const c of cams) {
      const due = t0 + (c.captureTimeUs - c0) / 2;
      expect(c.atUs - due).toBeGreaterThanOrEqual(0);
      expect(c.atUs - due).toBeLessThanOrEqual(1_000 + 300);
    }
    expect(stats.lagP99Us).toBeLessThanOrEqual(1_000);
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it('seek jumps to the new offset and publishes the calibration again first', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'seek-')), 'r.mcap');
    await writeRecording(file);
    const bus = new MemoryBus();
    await bus.admin.createTopics([{ topic: 'raw.camera', partitions: 1 }, { topic: 'calibration.rig', partitions: 1 }]);
    const clock = new FakeClock(0);
    const log: { topic: string; atUs: number; captureTimeUs: number }[] = [];
    let controller: ReturnType<typeof replay> | undefined;
    let seeked = false;
    controller = replay({
      bus: timedBus(bus, clock, log), files: file, rate: 1, clock,
      onProgress: (p) => {
        if (!seeked && p.published === 10) {
          seeked = true;
          controller?.seek(1_500_000);
        }
      },
    });
    const stats = await controller.done;
    expect(stats.seeks).toBe(1);
    const topics = log.map((l) => l.topic);
    // calibration, frames 0..9, calibration again, then frames from 1.5 s on
    expect(topics.slice(0, 11)).toEqual(['calibration.rig', ...Array<string>(10).fill('raw.camera')]);
    expect(topics[11]).toBe('calibration.rig');
    const after = log.slice(12);
    // frame 45 is at 1.4999985 s, so frame 46 (1.5333 s) is the first at or after 1.5 s
    expect(after[0]?.captureTimeUs).toBe(T0_US + 1_533_332);
    expect(after).toHaveLength(60 - 46);
    controller = undefined;
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});
