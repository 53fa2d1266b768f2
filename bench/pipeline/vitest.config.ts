// Runs the benchmark's pure helpers' specs on their own (the root config does not collect bench/):
//   npx vitest run -c bench/pipeline/vitest.config.ts
import { defineConfig } from 'vitest/config';

const conditions = ['source', 'node', 'import', 'default'];
export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: { include: ['bench/pipeline/lib/**/*.spec.ts'], root: new URL('../..', import.meta.url).pathname },
});
