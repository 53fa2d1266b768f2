// deploy/k8s and deploy/compose.yaml against the code they deploy: every service has its Deployment,
// its probes point at paths and the port the service really serves (started here and fetched), its
// ConfigMap holds only keys the service's zod schema accepts (loaded through the service's own
// config loader), and compose runs the same commands with the same settings.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUDIO_ENV_PREFIX, audioConfigSchema } from '@sensorfuse/audio-worker';
import { CAMERA_ENV_PREFIX, cameraConfigSchema } from '@sensorfuse/camera-worker';
import { SERVICES as CLI_SERVICES } from '@sensorfuse/cli';
import { loadConfig, type ConfigSchema } from '@sensorfuse/config';
import { DASHBOARD_ENV_PREFIX, dashboardConfigSchema, startDashboard } from '@sensorfuse/dashboard';
import { FUSION_ENV_PREFIX, fusionConfigSchema } from '@sensorfuse/fusion-worker';
import { LIDAR_ENV_PREFIX, lidarConfigSchema } from '@sensorfuse/lidar-worker';
import { MOTION_ENV_PREFIX, motionConfigSchema } from '@sensorfuse/motion-worker';
import { SENSOR_ENV_PREFIX, sensorConfigSchema } from '@sensorfuse/sensor-worker';
import { startServiceTelemetry } from '@sensorfuse/telemetry';
import { MemoryBus } from '@sensorfuse/transport';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const K8S_DIR = path.join(repoRoot, 'deploy/k8s');

/** Every deployable service of services/ (not the simulator, recorder and cli: tools, not services). */
const SERVICES: Readonly<Record<string, { readonly schema: ConfigSchema; readonly envPrefix: string; readonly worker: string }>> = {
  'camera-worker': { schema: cameraConfigSchema, envPrefix: CAMERA_ENV_PREFIX, worker: 'camera' },
  'lidar-worker': { schema: lidarConfigSchema, envPrefix: LIDAR_ENV_PREFIX, worker: 'lidar' },
  'audio-worker': { schema: audioConfigSchema, envPrefix: AUDIO_ENV_PREFIX, worker: 'audio' },
  'motion-worker': { schema: motionConfigSchema, envPrefix: MOTION_ENV_PREFIX, worker: 'motion' },
  'sensor-worker': { schema: sensorConfigSchema, envPrefix: SENSOR_ENV_PREFIX, worker: 'sensor' },
  'fusion-worker': { schema: fusionConfigSchema, envPrefix: FUSION_ENV_PREFIX, worker: 'fusion' },
  dashboard: { schema: dashboardConfigSchema, envPrefix: DASHBOARD_ENV_PREFIX, worker: 'dashboard' },
};

interface K8sObject {
  readonly kind: string;
  readonly metadata: { readonly name: string };
  readonly data?: Record<string, string>;
  readonly spec?: {
    readonly template?: {
      readonly spec: {
        readonly containers: readonly {
          readonly command: readonly string[];
          readonly envFrom?: readonly { readonly configMapRef?: { readonly name: string } }[];
          readonly livenessProbe?: { readonly httpGet?: { readonly path: string; readonly port: number } };
          readonly readinessProbe?: { readonly httpGet?: { readonly path: string; readonly port: number } };
          readonly resources?: { readonly requests?: { readonly cpu?: string; readonly memory?: string } };
        }[];
      };
    };
  };
}

function manifests(): K8sObject[] {
  return readdirSync(K8S_DIR)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseAllDocuments(readFileSync(path.join(K8S_DIR, f), 'utf8')).map((d) => d.toJS() as K8sObject));
}

const objects = manifests();
const deployments = new Map(objects.filter((o) => o.kind === 'Deployment').map((o) => [o.metadata.name, o]));
const configMaps = new Map(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o]));
const compose = parseAllDocuments(readFileSync(path.join(repoRoot, 'deploy/compose.yaml'), 'utf8'))[0]?.toJS() as {
  services: Record<string, { command: string[]; environment: Record<string, string> }>;
};

function containerOf(name: string) {
  const container = deployments.get(name)?.spec?.template?.spec.containers[0];
  if (container === undefined) throw new Error(`deploy/k8s: no Deployment with a container for ${name}`);
  return container;
}

function configOf(name: string): Record<string, string> {
  const ref = containerOf(name).envFrom?.[0]?.configMapRef?.name ?? '';
  const data = configMaps.get(ref)?.data;
  if (data === undefined) throw new Error(`deploy/k8s: ${name} reads ConfigMap "${ref}", which is not there`);
  return data;
}

describe('deploy/k8s', () => {
  it('has one Deployment per service and nothing else deployed', () => {
    expect([...deployments.keys()].sort()).toEqual(Object.keys(SERVICES).sort());
    // …and the CLI can start each of them (`sensorfuse worker <name>` is the container command).
    for (const [name, s] of Object.entries(SERVICES)) {
      expect(containerOf(name).command).toEqual(['node', 'services/cli/bin/sensorfuse.mjs', 'worker', s.worker]);
      expect(Object.keys(CLI_SERVICES)).toContain(s.worker);
    }
  });

  it.each(Object.entries(SERVICES))('%s: its ConfigMap holds only keys its schema accepts, with valid values', (name, s) => {
    const env = configOf(name);
    for (const key of Object.keys(env)) expect(key.startsWith(s.envPrefix), `${key} in ${name}'s ConfigMap`).toBe(true);
    // The service's own loader rejects unknown variables with its prefix and out-of-range values.
    expect(() => loadConfig(s.schema, { envPrefix: s.envPrefix, env })).not.toThrow();
  });

  it.each(Object.entries(SERVICES))('%s: requests resources and probes /healthz and /readyz on the port it serves them on', async (name, s) => {
    const container = containerOf(name);
    expect(container.resources?.requests?.cpu).toMatch(/^\d+m?$/);
    expect(container.resources?.requests?.memory).toMatch(/^\d+(Mi|Gi)$/);
    const liveness = container.livenessProbe?.httpGet;
    const readiness = container.readinessProbe?.httpGet;
    expect(liveness?.path).toBe('/healthz');
    expect(readiness?.path).toBe('/readyz');
    const config = loadConfig(s.schema, { envPrefix: s.envPrefix, env: configOf(name) }) as unknown as {
      telemetry?: { logLevel: 'info'; http: { enabled: boolean; host: string; port: number }; metrics: boolean; readinessTimeoutMs: number };
      port?: number;
      host?: string;
    };
    // The probe port is the port the configured service listens on, on all interfaces (a kubelet is not loopback).
    const servedPort = config.telemetry?.http.port ?? config.port;
    const servedHost = config.telemetry?.http.host ?? config.host;
    expect(liveness?.port).toBe(servedPort);
    expect(readiness?.port).toBe(servedPort);
    expect(servedHost).toBe('0.0.0.0');
    if (config.telemetry !== undefined) expect(config.telemetry.http.enabled).toBe(true);

    // Start what serves the probes with this very config (on a free loopback port) and ask it.
    let url: string;
    let close: () => Promise<void>;
    if (config.telemetry !== undefined) {
      const telemetry = await startServiceTelemetry(name, { ...config.telemetry, logLevel: 'silent', http: { ...config.telemetry.http, host: '127.0.0.1', port: 0 } });
      url = telemetry.server?.url ?? '';
      close = () => telemetry.shutdown();
    } else {
      const bus = new MemoryBus();
      const dashboard = await startDashboard({ bus, host: '127.0.0.1', port: 0 });
      url = dashboard.url;
      close = async () => {
        await dashboard.close();
        await bus.close();
      };
    }
    try {
      const base = url.endsWith('/') ? url.slice(0, -1) : url;
      expect((await fetch(`${base}${liveness?.path ?? ''}`)).status).toBe(200);
      // Ready or not yet ready (no worker attached here), but a route the service serves: never 404.
      expect([200, 503]).toContain((await fetch(`${base}${readiness?.path ?? ''}`)).status);
      expect((await fetch(`${base}/no-such-probe`)).status).toBe(404);
    } finally {
      await close();
    }
  });
});

describe('deploy/compose.yaml', () => {
  it('runs the same services with the same commands and settings as deploy/k8s (only the Kafka address differs)', () => {
    for (const name of Object.keys(SERVICES)) {
      const service = compose.services[name];
      expect(service, `compose service ${name}`).toBeDefined();
      expect(service?.command).toEqual(containerOf(name).command);
      const k8s = configOf(name);
      const env = service?.environment ?? {};
      expect(Object.keys(env).sort()).toEqual(Object.keys(k8s).sort());
      for (const [key, value] of Object.entries(k8s)) {
        if (key.endsWith('_BUS_BROKERS')) continue;
        expect(env[key], `${name} ${key}`).toBe(value);
      }
    }
  });

  it('gives every compose service a Kafka its schema accepts', () => {
    for (const [name, s] of Object.entries(SERVICES)) {
      expect(() => loadConfig(s.schema, { envPrefix: s.envPrefix, env: compose.services[name]?.environment ?? {} })).not.toThrow();
    }
  });
});
