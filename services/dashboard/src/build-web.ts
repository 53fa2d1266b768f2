import { writeFile } from 'node:fs/promises';
import { WEB_BUNDLE, bundleWeb } from './bundle.js';

await writeFile(WEB_BUNDLE, await bundleWeb());
console.log(`wrote ${WEB_BUNDLE}`);
