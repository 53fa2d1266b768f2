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
import { SchemaRegistry, createCodec } from '@sensorfuse/codec';
import { audioEventsSchema, type AudioEvents } from '@sensorfuse/schemas';
import { createSimulation, presetScenario, publishCalibration, publishSimulation, toRigCalibration } from '@sensorfuse/simulator';
import { MemoryBus } from '@sensorfuse/transport';
import { chromium } from 'playwright-core';
import { expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// A test artefact, not a tracked file: the README's picture (services/dashboard/docs) is refreshed by hand.
const SCREENSHOT = path.join(repoRoot, 'test/artifacts/dashboard.png');
const TOPICS = ['raw.camera', 'raw.lidar', 'raw.audio', 'raw.motion', 'sim.truth', 'calibration.rig', 'obs.lidar', 'obs.audio'];

it('shows LIDAR objects in the bird\'s-eye view and a camera image within 15 s, and the audio spectrogram with an event and its bearing', async () => {
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
  // Only what the page shows (camera, LIDAR, audio, truth): less CPU on a shared machine.
  const source = publishSimulation(
    (async function* () {
      for await (const r of simulation) {
        if (stop.signal.aborted) return;
        if (r.kind === 'camera' || r.kind === 'lidar' || r.kind === 'audio' || r.kind === 'truth') yield r;
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
    expect(await present('raw.audio')).toBe(1);
    expect(await present('raw.motion')).toBe(0);
    // The audio panel: the spectrogram canvas draws columns of the simulator's microphones.
    await page.waitForFunction(
      `Number(document.getElementById('spectrogram').dataset.columns) > 20 && Number(document.getElementById('spectrogram').dataset.lit) > 0`,
      undefined,
      { timeout: 10_000, polling: 100 },
    );
    // A siren 90° to the left (as the audio worker would report it): on the time axis and as a bearing ray.
    const registry = new SchemaRegistry();
    const events = createCodec<AudioEvents>(registry, audioEventsSchema);
    const nowUs = Math.round((performance.timeOrigin + performance.now()) * 1000);
    await bus.publish('obs.audio', [{
      key: 'rig',
      value: events.encode({
        rigId: 'rig', sensorId: 'mic_array', seq: 1, captureTimeUs: nowUs - 1_000_000, publishTimeUs: nowUs, frameId: 'mic_array', windowDurationUs: 1_000_000,
        events: [{ eventClass: 'siren', score: 0.9, onsetUs: nowUs - 1_000_000, offsetUs: nowUs - 200_000, bearingRad: Math.PI / 2, bearingStdRad: 0.1, snrDb: 12 }],
        voiceProbability: 0.1, snrDb: 12, reliability: 0.8,
      }),
    }]);
    await page.waitForFunction(
      `Number(document.getElementById('spectrogram').dataset.events) === 1 && Number(document.getElementById('bearings').dataset.rays) === 1`,
      undefined,
      { timeout: 10_000, polling: 100 },
    );
    // The ray points left: the canvas pixel 40 px left of the centre on the horizontal is the siren's colour.
    const rayPixel = await page.evaluate<number[]>(`Array.from(document.getElementById('bearings').getContext('2d').getImageData(80, 120, 1, 1).data)`);
    expect(rayPixel.slice(0, 3)).toEqual([0xe0, 0x50, 0x50]);
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
    // The spectrogram canvas is not blank: the screenshot's pixels there are not all the background.
    const spectrogramPixels = await page.evaluate<number>(`(() => { const d = document.getElementById('spectrogram').getContext('2d').getImageData(0, 0, 640, 186).data; let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] !== 0x0b || d[i + 1] !== 0x0d || d[i + 2] !== 0x10) n++; return n; })()`);
    expect(spectrogramPixels).toBeGreaterThan(1000);
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
