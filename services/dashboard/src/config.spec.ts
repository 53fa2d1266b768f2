import { ConfigError } from '@sensorfuse/config';
import { describe, expect, it } from 'vitest';
import { loadDashboardConfig } from './config.js';

describe('loadDashboardConfig', () => {
  it('listens on 127.0.0.1:8080 at 5 Hz unless told otherwise', () => {
    const c = loadDashboardConfig({});
    expect([c.host, c.port, c.frameRateHz, c.cameraRateHz, c.maxPoints]).toEqual(['127.0.0.1', 8080, 5, 4, 4000]);
  });
  it('takes the port and the bus from the environment', () => {
    const c = loadDashboardConfig({ SENSORFUSE_DASHBOARD_PORT: '9090', SENSORFUSE_DASHBOARD_BUS_BROKERS: '["kafka:9092"]' });
    expect(c.port).toBe(9090);
    expect(c.bus.brokers).toEqual(['kafka:9092']);
  });
  it('refuses a port outside 0..65535 and unknown keys', () => {
    expect(() => loadDashboardConfig({ SENSORFUSE_DASHBOARD_PORT: '70000' })).toThrow(ConfigError);
    expect(() => loadDashboardConfig({ SENSORFUSE_DASHBOARD_PORTT: '1' })).toThrow(ConfigError);
  });
});
