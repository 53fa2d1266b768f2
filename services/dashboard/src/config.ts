import { loadConfig, type LoadedConfig } from '@sensorfuse/config';
import { busConfigSchema } from '@sensorfuse/worker';
import { z } from 'zod';

export const DASHBOARD_ENV_PREFIX = 'SENSORFUSE_DASHBOARD_';

/** What the view does; the single source of its defaults (startDashboard reads them from here). */
export const dashboardViewSchema = z.strictObject({
  port: z.number().int().min(0).max(65_535).default(8080).describe('TCP port of the page and its WebSocket; 0 picks a free one'),
  host: z.string().min(1).max(255).default('127.0.0.1').describe('Interface to listen on (0.0.0.0 exposes it: no authentication)'),
  frameRateHz: z.number().min(0.2).max(30).default(5).describe('State frames (points, boxes, health) pushed per second'),
  cameraRateHz: z.number().min(0.2).max(30).default(4).describe('Camera images pushed per second, at most'),
  maxPoints: z.number().int().min(100).max(200_000).default(4000).describe('LIDAR points per frame, at most (stride decimation)'),
  maxBufferedBytes: z
    .number()
    .int()
    .min(65_536)
    .max(1_073_741_824)
    .default(4 * 1024 * 1024)
    .describe('A page whose socket buffers more than this skips frames until it caught up, bytes'),
});

export const dashboardConfigSchema = dashboardViewSchema.extend({
  groupId: z.string().min(1).max(200).default('sensorfuse-dashboard').describe('Consumer-group prefix; each topic is read by <groupId>.<topic>, never committed'),
  bus: busConfigSchema,
});

export type DashboardConfig = LoadedConfig<typeof dashboardConfigSchema>;

/** Defaults < JSON file (SENSORFUSE_DASHBOARD_CONFIG_FILE) < environment (SENSORFUSE_DASHBOARD_*). */
export function loadDashboardConfig(env?: Readonly<Record<string, string | undefined>>): DashboardConfig {
  return loadConfig(dashboardConfigSchema, { envPrefix: DASHBOARD_ENV_PREFIX, ...(env === undefined ? {} : { env }) });
}
