import { describe, expect, it } from 'vitest';
import { LABEL_WEATHER } from './lidar.js';
import { presetScenario } from './presets.js';
import { CoreSimulation } from './simulation-core.js';

function firstFrames(preset: string): { meanLuma: number; roughness: number; points: number; weather: number } {
  const sc = { ...presetScenario(preset), durationS: 0.5 };
  const core = new CoreSimulation(sc, { seed: 12, sensors: ['camera', 'lidar'], truth: 'omit' });
  let luma = 0;
  let rough = 0;
  let px = 0;
  let points = 0;
  let weather = 0;
  for (const r of core.records()) {
    if (r.kind === 'camera') {
      const d = r.data;
      for (let i = 0; i + 3 < d.length; i += 3) {
        luma += ((d[i] ?? 0) + (d[i + 1] ?? 0) + (d[i + 2] ?? 0)) / 3;
        rough += Math.abs((d[i + 1] ?? 0) - (d[i + 4] ?? 0)); // green difference to the right neighbour
        px++;
      }
    } else if (r.kind === 'lidar') {
      points += r.pointCount;
      for (const l of r.labels) if (l === LABEL_WEATHER) weather++;
    }
  }
  return { meanLuma: luma / px, roughness: rough / px, points, weather };
}

describe('weather and lighting presets', () => {
  it('night-rain degrades the camera (darker, noisier) and the LIDAR (fewer returns, rain and spray echoes)', () => {
    const day = firstFrames('urban-day');
    const night = firstFrames('night-rain');
    expect(night.meanLuma).toBeLessThan(0.5 * day.meanLuma);
    // Relative to its brightness the night image is much rougher (noise x5 at a fraction of the signal).
    expect(night.roughness / night.meanLuma).toBeGreaterThan(1.5 * (day.roughness / day.meanLuma));
    expect(night.points).toBeLessThan(0.95 * day.points);
    expect(day.weather).toBe(0);
    expect(night.weather / night.points).toBeGreaterThan(0.005);
  });
});
