import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
export const WEB_ENTRY = fileURLToPath(new URL('../web/main.ts', import.meta.url));
export const WEB_BUNDLE = fileURLToPath(new URL('../public/app.js', import.meta.url));

/**
 * Bundles the page script in memory. The same options serve `npm run build:web` (which writes
 * public/app.js, committed so `npm start` needs no build step) and the spec that fails when the
 * committed bundle is stale. No source map and no absolute paths, so the output is reproducible.
 */
export async function bundleWeb(): Promise<string> {
  const result = await build({
    // Path comments in the output are relative to this, so the bundle is the same from any cwd.
    absWorkingDir: PACKAGE_DIR,
    entryPoints: [WEB_ENTRY],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    minify: false,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (file === undefined) throw new Error('esbuild produced no output for web/main.ts');
  return file.text;
}
