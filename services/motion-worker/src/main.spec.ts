import { fileURLToPath } from 'node:url';
import { expectServiceMainLifecycle } from '@sensorfuse/worker/testing';
import { it } from 'vitest';

it('main.ts runs as a service: ready on /readyz, drains on SIGTERM and exits 0', async () => {
  await expectServiceMainLifecycle(fileURLToPath(new URL('..', import.meta.url)), 'SENSORFUSE_MOTION_');
});
