/**
 * Writes docs/dashboard.png, the README's picture: `sensorfuse run` (the embedded pipeline, as
 * `npm start` runs it) in a child process, Debian's chromium on its dashboard once fused tracks
 * show, a full-page screenshot, then Ctrl-C.
 *   node --conditions=source --import tsx services/cli/src/screenshot.ts [--out docs/dashboard.png] [--wait-s 20]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const { values } = parseArgs({ options: { out: { type: 'string', default: path.join(repoRoot, 'docs/dashboard.png') }, 'wait-s': { type: 'string', default: '20' } } });
if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is needed (apt-get install chromium)`);

const child = spawn(process.execPath, [fileURLToPath(new URL('../bin/sensorfuse.mjs', import.meta.url)), 'run', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const found = /dashboard on (http:\/\/\S+)/.exec(out)?.[1];
    if (found !== undefined) resolve(found);
  });
  child.once('exit', (code) => {
    reject(new Error(`sensorfuse run ended (exit ${String(code)}) before serving the dashboard`));
  });
});

const userDataDir = await mkdtemp(path.join(tmpdir(), 'sensorfuse-screenshot-'));
const browser = await chromium.launchPersistentContext(userDataDir, {
  executablePath: CHROMIUM,
  viewport: { width: 1440, height: 960 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  // Fused tracks and a camera image, then some seconds more for the spectrogram and histogram to fill.
  await page.waitForFunction(
    `Number(document.getElementById('bev').dataset.tracks) > 0 && Number(document.getElementById('camera').dataset.images) > 0`,
    undefined,
    { timeout: 120_000, polling: 250 },
  );
  await page.waitForTimeout(Number(values['wait-s']) * 1000);
  await page.screenshot({ path: values.out, fullPage: true });
  console.log(`wrote ${values.out}`);
} finally {
  await browser.close();
  await rm(userDataDir, { recursive: true, force: true });
  child.kill('SIGINT');
}
