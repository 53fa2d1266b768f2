import { defineConfig } from 'vitest/config';

// One root config, two projects: `unit` (pure code, beside the sources) and `integration`
// (test/, against a real Kafka broker and a real Redis started by test/setup/infra.ts unless
// KAFKA_BROKERS / REDIS_URL are set). Workspace packages resolve to their TypeScript sources
// through the `source` export condition, so no build step is needed before testing.
const resolve = { conditions: ['source', 'node', 'import', 'default'] };

export default defineConfig({
  resolve,
  ssr: { resolve: { conditions: ['source', 'node', 'import', 'default'], externalConditions: ['source'] } },
  test: {
    projects: [
      {
        resolve,
        ssr: { resolve: { conditions: ['source', 'node', 'import', 'default'], externalConditions: ['source'] } },
        test: {
          name: 'unit',
          include: ['shared/*/src/**/*.spec.ts', 'services/*/src/**/*.spec.ts', 'schemas/**/*.spec.ts', 'bench/*/lib/**/*.spec.ts'],
          testTimeout: 60_000,
        },
      },
      {
        resolve,
        ssr: { resolve: { conditions: ['source', 'node', 'import', 'default'], externalConditions: ['source'] } },
        // The globalSetup is loaded in vitest's own environment, which needs the `source` condition too.
        environments: { __vitest__: { resolve: { conditions: ['source', 'node', 'import', 'default'], externalConditions: ['source'] } } },
        test: {
          name: 'integration',
          include: ['test/**/*.spec.ts'],
          globalSetup: ['test/setup/infra.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
