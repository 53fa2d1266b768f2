import { Command, InvalidArgumentError } from 'commander';
import { envNameFor } from '@sensorfuse/config';
import { KafkaBus } from '@sensorfuse/transport';
import { brokersOf } from '../config.js';
import { brokerText, integer, settingsOf, shared, withExamples } from '../options.js';

/**
 * The deployable services: package, environment prefix, and the config key of the port its
 * /healthz and /readyz are served on (the dashboard serves them on its page port).
 */
export const SERVICES = {
  camera: { pkg: '@sensorfuse/camera-worker', envPrefix: 'SENSORFUSE_CAMERA_', healthPort: ['telemetry', 'http', 'port'], state: false },
  lidar: { pkg: '@sensorfuse/lidar-worker', envPrefix: 'SENSORFUSE_LIDAR_', healthPort: ['telemetry', 'http', 'port'], state: false },
  audio: { pkg: '@sensorfuse/audio-worker', envPrefix: 'SENSORFUSE_AUDIO_', healthPort: ['telemetry', 'http', 'port'], state: false },
  motion: { pkg: '@sensorfuse/motion-worker', envPrefix: 'SENSORFUSE_MOTION_', healthPort: ['telemetry', 'http', 'port'], state: false },
  sensor: { pkg: '@sensorfuse/sensor-worker', envPrefix: 'SENSORFUSE_SENSOR_', healthPort: ['telemetry', 'http', 'port'], state: false },
  fusion: { pkg: '@sensorfuse/fusion-worker', envPrefix: 'SENSORFUSE_FUSION_', healthPort: ['telemetry', 'http', 'port'], state: true },
  dashboard: { pkg: '@sensorfuse/dashboard', envPrefix: 'SENSORFUSE_DASHBOARD_', healthPort: ['port'], state: false },
} as const satisfies Record<string, { pkg: string; envPrefix: string; healthPort: readonly string[]; state: boolean }>;
export type ServiceName = keyof typeof SERVICES;
export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

function serviceName(value: string): ServiceName {
  const name = value.replace(/-worker$/, '');
  if (!(SERVICE_NAMES as string[]).includes(name)) {
    throw new InvalidArgumentError(`unknown service "${value}"; choose one of: ${SERVICE_NAMES.join(', ')}`);
  }
  return name as ServiceName;
}

/**
 * The environment a service container gets from the command line's flags: the service reads its
 * own `SENSORFUSE_<SERVICE>_*` variables, so --kafka becomes `…_BUS_KIND=kafka` + `…_BUS_BROKERS`.
 * Variables already set for the service win over nothing but defaults: flags override them.
 */
export function serviceEnv(name: ServiceName, options: { brokers?: readonly string[]; redis?: string; healthPort?: number; partitions?: number }): Record<string, string> {
  const { envPrefix, healthPort, state } = SERVICES[name];
  const env: Record<string, string> = {};
  if (options.brokers !== undefined) {
    env[envNameFor(envPrefix, ['bus', 'kind'])] = 'kafka';
    env[envNameFor(envPrefix, ['bus', 'brokers'])] = JSON.stringify(options.brokers);
  }
  if (options.partitions !== undefined && name !== 'dashboard') env[envNameFor(envPrefix, ['bus', 'partitions'])] = String(options.partitions);
  if (options.redis !== undefined && state) {
    env[envNameFor(envPrefix, ['stateStore', 'kind'])] = 'redis';
    env[envNameFor(envPrefix, ['stateStore', 'url'])] = options.redis;
  }
  if (options.healthPort !== undefined) env[envNameFor(envPrefix, healthPort)] = String(options.healthPort);
  return env;
}

/** Fails fast (exit 5) when the brokers do not answer, before the service starts its loops. */
async function checkKafka(brokers: readonly string[]): Promise<void> {
  const bus = new KafkaBus({ brokers, clientId: 'sensorfuse-cli-probe', connectionTimeoutMs: 5_000, retry: { retries: 2 }, logLevel: 'nothing' });
  try {
    await bus.admin.partitionCount('raw.lidar');
  } finally {
    await bus.close();
  }
}

/** The service's composition root (`src/main.ts`, or `dist/main.js` in a built package). */
function mainModuleOf(pkg: string): string {
  const index = import.meta.resolve(pkg);
  return new URL(index.endsWith('.ts') ? './main.ts' : './main.js', index).href;
}

/**
 * `sensorfuse worker <name>`: what a container runs. Sets the service's environment from the flags,
 * checks that Kafka answers, then runs the service's own `main.ts` (config → telemetry → bus →
 * worker → run until SIGINT/SIGTERM → drain).
 */
export async function runServiceMain(name: ServiceName, options: { brokers?: readonly string[]; redis?: string; healthPort?: number; partitions?: number }): Promise<void> {
  Object.assign(process.env, serviceEnv(name, options));
  const brokersVar = envNameFor(SERVICES[name].envPrefix, ['bus', 'brokers']);
  const kindVar = envNameFor(SERVICES[name].envPrefix, ['bus', 'kind']);
  if ((process.env[kindVar] ?? 'kafka') === 'kafka') {
    const fromEnv = process.env[brokersVar];
    let brokers = options.brokers ?? ['127.0.0.1:9092'];
    if (options.brokers === undefined && fromEnv !== undefined) {
      try {
        brokers = JSON.parse(fromEnv) as string[];
      } catch {
        // The service's own config loader reports the malformed variable (exit 3).
      }
    }
    await checkKafka(brokers);
  }
  process.stdout.write(`sensorfuse: starting ${name} (${SERVICES[name].pkg}); SIGINT or SIGTERM drains and stops it\n`);
  await import(mainModuleOf(SERVICES[name].pkg));
}

export function workerCommand(): Command {
  const command = new Command('worker')
    .description('Run one service the way its container does (deployed mode): camera, lidar, audio, motion, sensor, fusion or dashboard.')
    .argument('<name>', `service: ${SERVICE_NAMES.join(', ')}`, serviceName)
    .option('--kafka <brokers>', shared('kafka', 'Kafka brokers; without it the service uses its own SENSORFUSE_<SERVICE>_BUS_BROKERS (127.0.0.1:9092)'), brokerText)
    .option('--redis <url>', shared('redis', 'Redis for the fusion worker\'s state (calibration registry, checkpoints)'))
    .option('--health-port <port>', 'port of /healthz and /readyz (the dashboard: its page port); default: the service\'s own', integer('--health-port', 0, 65_535))
    .option('--partitions <n>', 'create missing input/output topics with this many partitions', integer('--partitions', 1, 1024))
    .action(async (name: ServiceName, options: { healthPort?: number; partitions?: number }, cmd: Command) => {
      const s = settingsOf(cmd);
      const brokers = brokersOf(s.kafka);
      await runServiceMain(name, {
        ...(brokers === undefined ? {} : { brokers }),
        ...(s.redis === '' ? {} : { redis: s.redis }),
        ...(options.healthPort === undefined ? {} : { healthPort: options.healthPort }),
        ...(options.partitions === undefined ? {} : { partitions: options.partitions }),
      });
    });
  return withExamples(
    command,
    [
      'sensorfuse worker lidar --kafka 127.0.0.1:9092',
      'sensorfuse worker fusion --kafka 127.0.0.1:9092 --redis redis://127.0.0.1:6379',
      'sensorfuse worker dashboard --kafka 127.0.0.1:9092 --health-port 8080',
      'SENSORFUSE_LIDAR_VOXEL_LEAF_X=0.3 sensorfuse worker lidar --partitions 4',
    ],
    'Each service reads its own settings from SENSORFUSE_<SERVICE>_* variables or the JSON file named by\n' +
      'SENSORFUSE_<SERVICE>_CONFIG_FILE (see the Parameters table in services/<name>-worker/README.md).',
  );
}
