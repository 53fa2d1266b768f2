// docs/cli.md is the CLI reference the README links to; it must be what the commands print.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCliReference } from '@sensorfuse/cli';
import { expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

it('docs/cli.md is generated from the current --help texts (regenerate: node --conditions=source --import tsx services/cli/src/gen-docs.ts)', () => {
  const committed = readFileSync(path.join(repoRoot, 'docs/cli.md'), 'utf8');
  expect(committed).toBe(renderCliReference());
  // and it documents what a user looks for first
  expect(committed).toContain('### `sensorfuse worker`');
  expect(committed).toContain('| 5 | Kafka unreachable |');
  expect(committed).toContain('`SENSORFUSE_PORT`');
});
