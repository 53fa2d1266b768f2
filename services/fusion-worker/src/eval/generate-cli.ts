// Child process of the evaluation: generates one scene and writes it to the cache (so two scenes can be made at once on two cores).
import type { PresetName } from '@sensorfuse/simulator';
import { saveScene } from './cache.js';
import { generateScene } from './scene.js';

const [preset, seed, durationS, dir] = process.argv.slice(2);
if (preset === undefined || seed === undefined || durationS === undefined) {
  console.error('usage: generate-cli.ts <preset> <seed> <durationS> [cacheDir]');
  process.exit(2);
}
const scene = await generateScene({ preset: preset as PresetName, seed: Number(seed), durationS: Number(durationS) }, (l) => { console.log(l); });
saveScene(scene, dir);
const cpu = process.cpuUsage();
// The parent sums these: the evaluation's CPU time includes its generators'.
console.log(`cpu-ms ${String(Math.round((cpu.user + cpu.system) / 1000))}`);
