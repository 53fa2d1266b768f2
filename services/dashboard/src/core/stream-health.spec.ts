import { describe, expect, it } from 'vitest';
import { StreamHealthTracker } from './stream-health.js';

const S = 1_000_000;

describe('StreamHealthTracker', () => {
  it('reports a 10 Hz stream as 10 Hz over the full buckets and a silent one as absent', () => {
    const h = new StreamHealthTracker({ bucketUs: S, buckets: 6, presenceTimeoutUs: 3 * S });
    h.expect(['raw.lidar', 'raw.audio']);
    // 10 records per second from t = 100 s to t = 107 s (exclusive): 70 records.
    // Each record reaches the view 30 ms after the broker logged it.
    for (let i = 0; i < 70; i++) h.record('raw.lidar', 100 * S + i * 100_000, 100 * S + i * 100_000 - 30_000);
    const [audio, lidar] = h.snapshot(107 * S + 500_000);
    // Full buckets before the current one (107): 102..106, 5 × 10 records / 5 s.
    expect(lidar).toEqual({ topic: 'raw.lidar', rateHz: 10, total: 70, present: true, ageUs: 600_000, deadLetters: 0, lagUs: 30_000 });
    expect(audio).toEqual({ topic: 'raw.audio', rateHz: 0, total: 0, present: false, ageUs: null, deadLetters: 0, lagUs: null });
  });
  it('counts dead letters against their source topic and lets a stopped stream go absent with rate 0', () => {
    const h = new StreamHealthTracker({ bucketUs: S, buckets: 6, presenceTimeoutUs: 3 * S });
    h.record('obs.lidar', 10 * S);
    h.record('raw.lidar.dlq', 10 * S);
    h.record('raw.lidar.dlq', 11 * S);
    const byTopic = Object.fromEntries(h.snapshot(20 * S).map((x) => [x.topic, x]));
    expect(byTopic['raw.lidar']).toMatchObject({ total: 0, deadLetters: 2 });
    expect(byTopic['obs.lidar']).toMatchObject({ total: 1, rateHz: 0, present: false, ageUs: 10 * S });
    expect(byTopic['raw.lidar.dlq']).toBeUndefined();
  });
});
