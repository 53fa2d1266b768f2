/**
 * Regenerates shared/schemas/src/{generated/*,index.ts} from schemas/*.avsc.
 *   node --conditions=source --import tsx schemas/generate.ts          write the files
 *   node --conditions=source --import tsx schemas/generate.ts --check  exit 1 listing stale files
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateFiles, readSchemaSources, staleFiles } from '@sensorfuse/schemas/codegen';

const schemaDir = path.dirname(fileURLToPath(import.meta.url));
const srcDir = path.resolve(schemaDir, '../shared/schemas/src');
const generated = generateFiles(readSchemaSources(schemaDir));
const stale = staleFiles(generated, srcDir);

if (process.argv.includes('--check')) {
  if (stale.length > 0) {
    console.error(
      `generated schema types are stale (run npm run gen:types):\n${stale.map((s) => `  shared/schemas/src/${s}`).join('\n')}`,
    );
    process.exit(1);
  }
  console.log(`generated schema types are up to date (${generated.size} files)`);
} else {
  fs.rmSync(path.join(srcDir, 'generated'), { recursive: true, force: true });
  for (const [rel, content] of generated) {
    const file = path.join(srcDir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  console.log(stale.length > 0 ? `wrote ${stale.join(', ')}` : 'nothing to do: generated files were up to date');
}
