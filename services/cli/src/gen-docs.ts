// Writes docs/cli.md from the commands' --help: node --conditions=source --import tsx services/cli/src/gen-docs.ts
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderCliReference } from './cli-reference.js';

export const CLI_REFERENCE_PATH = fileURLToPath(new URL('../../../docs/cli.md', import.meta.url));

writeFileSync(CLI_REFERENCE_PATH, renderCliReference());
console.log(`wrote ${CLI_REFERENCE_PATH}`);
