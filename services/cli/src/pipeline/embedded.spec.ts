// `npm start` runs the simulator in episodes (a new seed each time the scenario ends) for as long as the user lets it.
// Two regressions of that loop only showed after tens of seconds: fusion published nothing for a whole episode after
// each loop (the aligner took the restarted sequence numbers for duplicates), and the status line read 0/s after
// ~10 s (its reader never committed and its 64 MiB window filled). Three short episodes show both in seconds.
import { MemoryStateStore } from '@sensorfuse/state';
import { MemoryBus } from '@sensorfuse/transport';
import { expect, it } from 'vitest';
import { Pipeline, scenarioByName } from './embedded.js';

/** "  raw.lidar   123 records   45.6 MB" → 123 (the summary a user reads). */
function records(summary: string, topic: string): number {
  const m = new RegExp(`^\\s+${topic.replace('.', '\\.')}\\s+(\\d+) records`, 'm').exec(summary);
  return m === null ? 0 : Number(m[1]);
}

it('fuses every LIDAR sweep of every episode when the scenario loops, and the status keeps counting', { timeout: 120_000 }, async () => {
  const episodeS = 4;
  const episodes = 3;
  const bus = new MemoryBus();
  const pipeline = new Pipeline(bus, new MemoryStateStore(), { scenario: 'urban-day', seed: 7, durationS: episodeS * episodes, episodeS, partitions: 1 });
  const failures: unknown[] = [];
  await pipeline.start((error) => failures.push(error));
  await pipeline.sourceDone();
  // Let the workers finish the last sweeps (alignment waits up to 200 ms of processing time for a late input).
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await pipeline.drain();
  await bus.close();
  const summary = pipeline.status.summary();

  expect(failures).toEqual([]);
  // The scenario's LIDAR rate × the simulated time: every sweep the simulator published reached the status reader
  // (a stalled reader stops counting after ~10 s), allowing the preset's own drop faults.
  const lidarHz = scenarioByName('urban-day').sensors.lidar.rateHz;
  const published = records(summary, 'raw.lidar');
  expect(published, summary).toBeGreaterThanOrEqual(0.9 * lidarHz * episodeS * episodes);
  expect(records(summary, 'obs.lidar'), summary).toBe(published);
  // One fused frame per sweep: an episode fused as duplicates of the previous one would leave a third missing.
  const fused = Number(/fused frames (\d+)/.exec(summary)?.[1] ?? 0);
  expect(fused, summary).toBeGreaterThanOrEqual(published - 1);
  expect(records(summary, 'fused.detections'), summary).toBe(fused);
});
