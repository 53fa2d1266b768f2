// Composition root of the dashboard as its own service (deployed mode): config → bus → dashboard →
// run until SIGINT/SIGTERM → close. Embedded mode calls startDashboard on its shared bus instead.
import { createBus } from '@sensorfuse/worker';
import { loadDashboardConfig } from './config.js';
import { startDashboard } from './server.js';

const config = loadDashboardConfig();
const bus = createBus(config.bus);
const dashboard = await startDashboard({ ...config, bus });
console.log(JSON.stringify({ level: 'info', service: 'dashboard', url: dashboard.url, msg: 'dashboard listening' }));
await new Promise<void>((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
await dashboard.close();
await bus.close();
