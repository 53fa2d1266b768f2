import { describe, expect, it } from 'vitest';
import { evaluateLidarOnSimulation } from './sim-eval.js';

describe('LIDAR chain on the simulator (truth: its object boxes and per-point labels)', () => {
  it('the weather-noise filter removes most spray/rain false detections in night-rain and keeps the recall', () => {
    // 3 s of night-rain = 30 sweeps; the simulator labels every point (road user, ground, clutter, weather).
    const [on, off] = evaluateLidarOnSimulation({ preset: 'night-rain', seed: 1, durationS: 3 });
    console.info(
      `night-rain 3 s: filter on recall ${on.recall.toFixed(3)} (${on.matched}/${on.qualifying}), weather/ground false positives ${on.falsePositives}, ` +
        `noise fraction ${on.meanNoiseFraction.toFixed(3)}; off recall ${off.recall.toFixed(3)}, false positives ${off.falsePositives}`,
    );
    expect(on.sweeps).toBe(30);
    expect(on.qualifying).toBe(off.qualifying);
    expect(on.qualifying).toBeGreaterThan(50);
    // Without the filter the spray behind cars becomes objects.
    expect(off.unmatched.weather).toBeGreaterThan(20);
    expect(on.falsePositives).toBeLessThanOrEqual(off.falsePositives / 4);
    // … and removing it costs at most a little recall.
    expect(on.recall).toBeGreaterThanOrEqual(off.recall - 0.05);
    expect(on.meanNoiseFraction).toBeGreaterThan(0);
    expect(off.meanNoiseFraction).toBe(0);
  });
});
