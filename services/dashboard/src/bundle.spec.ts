import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { WEB_BUNDLE, bundleWeb } from './bundle.js';

describe('committed page bundle', () => {
  it('is what web/main.ts bundles to today (run `npm run build:web -w @sensorfuse/dashboard` when this fails)', async () => {
    const committed = await readFile(WEB_BUNDLE, 'utf8');
    const fresh = await bundleWeb();
    expect(committed.length).toBeGreaterThan(1000);
    expect(committed === fresh, 'public/app.js is stale: run npm run build:web -w @sensorfuse/dashboard').toBe(true);
  });
});
