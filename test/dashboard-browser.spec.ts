// End-to-end: the simulator and the LIDAR worker feed a MemoryBus, the dashboard serves it, and
// Debian's chromium (driven by playwright-core) must show LIDAR objects in the bird's-eye view and a
// camera image within 15 s (the acceptance bound of issue 11). The screenshot is the artefact.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDashboard } from '@sensorfuse/dashboard';
import { createLidarWorker, loadLidarConfig } from '@sensorfuse/lidar-worker';
import { createSimulation, presetScenario, publishCalibration, publishSimulation, toRigCalibration } from '@sensorfuse/simulator';
import { MemoryBus } from '@sensorfuse/transport';
import { chromium } from 'playwright-core';
import { expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// A test artefact, not a tracked file: the README's picture (services/dashboard/docs) is refreshed by hand.
const SCREENSHOT = path.join(repoRoot, 'test/artifacts/dashboard.png');
const TOPICS = ['raw.camera', 'raw.lidar', 'raw.audio', 'raw.motion', 'sim.truth', 'calibration.rig', 'obs.lidar'];

it('shows LIDAR objects in the bird\'s-eye view and a camera image within 15 s', async () => {
  if (!existsSync(CHROMIUM)) {
    console.warn(`skipped: ${CHROMIUM} absent (apt-get install chromium)`);
    return;
  }
  const bus = new MemoryBus();
  await bus.admin.createTopics(TOPICS.map((topic) => ({ topic, partitions: 1 })));
  const dashboard = await startDashboard({ bus, port: 0 });
  const fatal: unknown[] = [];
  const worker = createLidarWorker(bus, loadLidarConfig());
  worker.start((error) => fatal.push(error));

  const scenario = { ...presetScenario('urban-day'), durationS: 40 };
  const startTimeUs = Math.round((performance.timeOrigin + performance.now()) * 1000);
  const simulation = createSimulation(scenario, { seed: 11, pacing: 'real-time', startTimeUs });
  await publishCalibration(bus, toRigCalibration(simulation.core.calibration, scenario, 1, startTimeUs));
  const stop = new AbortController();
  let sourceError: unknown;
  // Only what the page shows (camera, LIDAR, truth): less CPU on a shared machine.
  const source = publishSimulation(
    (async function* () {
      for await (const r of simulation) {
        if (stop.signal.aborted) return;
        if (r.kind === 'camera' || r.kind === 'lidar' || r.kind === 'truth') yield r;
      }
    })(),
    { bus },
  ).catch((error: unknown) => {
    sourceError = error;
  });

  const userDataDir = await mkdtemp(path.join(tmpdir(), 'sensorfuse-chromium-'));
  // A new empty profile: playwright passes it to chromium as --user-data-dir.
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    viewport: { width: 1440, height: 960 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(dashboard.url);
    // The acceptance bound: something detected in the bird's-eye view and a camera image drawn.
    // (A string expression: the test project has no DOM types.)
    await page.waitForFunction(
      `Number(document.getElementById('bev').dataset.objects) + Number(document.getElementById('bev').dataset.tracks) > 0
        && Number(document.getElementById('camera').dataset.images) > 0`,
      undefined,
      { timeout: 15_000, polling: 100 },
    );
    const attribute = async (selector: string, name: string): Promise<number> => Number(await page.locator(selector).getAttribute(name));
    const present = async (topic: string): Promise<number> => page.locator(`#health tr.present[data-topic="${topic}"]`).count();
    const counts = {
      points: await attribute('#bev', 'data-points'),
      objects: await attribute('#bev', 'data-objects'),
    };
    expect(counts.objects).toBeGreaterThan(0);
    // The view is thinned to at most 4000 points but must still show the sweep.
    expect(counts.points).toBeGreaterThan(500);
    expect(counts.points).toBeLessThanOrEqual(4000);
    expect(await present('raw.lidar')).toBe(1);
    expect(await present('obs.lidar')).toBe(1);
    expect(await present('raw.audio')).toBe(0);
    // The simulator's ground truth reaches the page, and with the rig calibration the LIDAR objects
    // ahead are also drawn into the camera image.
    await page
      .waitForFunction(
        `Number(document.getElementById('bev').dataset.truth) > 0 && Number(document.getElementById('camera').dataset.projected) > 0`,
        undefined,
        { timeout: 10_000, polling: 100 },
      )
      .catch(async (error: unknown) => {
        const seen = { truth: await attribute('#bev', 'data-truth'), projected: await attribute('#camera', 'data-projected') };
        throw new Error(`expected ground truth and projected boxes on the page, found ${JSON.stringify(seen)}`, { cause: error });
      });
    expect(pageErrors).toEqual([]);
    // Let the latency histogram and rates fill a little for a readable screenshot.
    await page.waitForTimeout(2500);
    await mkdir(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(fatal).toEqual([]);
    expect(sourceError).toBeUndefined();
  } finally {
    await browser.close();
    await rm(userDataDir, { recursive: true, force: true });
    stop.abort();
    await source;
    await worker.drain();
    await dashboard.close();
    await bus.close();
  }
});
