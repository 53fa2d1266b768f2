import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCliConfig } from './config.js';
import { EXIT } from './errors.js';
import { buildProgram } from './program.js';

const BIN = fileURLToPath(new URL('../bin/sensorfuse.mjs', import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'sensorfuse-cli-spec-'));

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI as a user would (the `sensorfuse` bin in a child process) and collects its output. */
function cli(args: readonly string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

function help(names: readonly string[]): string {
  let command: Command = buildProgram();
  for (const name of names) {
    const next = command.commands.find((c) => c.name() === name);
    if (next === undefined) throw new Error(`no command ${names.join(' ')}`);
    command = next;
  }
  let text = '';
  command.configureOutput({ writeOut: (s) => (text += s) });
  command.outputHelp();
  return text;
}

const servers: Server[] = [];
async function takenPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return (server.address() as AddressInfo).port;
}
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => { resolve(); }));
  return port;
}
afterAll(() => {
  for (const s of servers) s.close();
});

/** A user error: one `sensorfuse:` line (plus issue lines for config), a hint, never a stack trace. */
function expectUserError(result: Result, code: number, message: string | RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  if (typeof message === 'string') expect(result.stderr).toContain(message);
  else expect(result.stderr).toMatch(message);
  expect(result.stderr).toMatch(/^sensorfuse: /m);
  expect(result.stderr).toMatch(/^ {2}hint: /m);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('sensorfuse --help', () => {
  // What a user needs from each command's help: an example of it and the options it cannot run without.
  const cases: [string, readonly string[]][] = [
    ['run', ['--scenario', '--duration', '--kafka', '--redis', '--port', 'SENSORFUSE_PORT']],
    ['worker', ['<name>', 'camera, lidar, audio, motion, sensor, fusion, dashboard', '--kafka', '--redis', '--health-port']],
    ['topics create', ['--kafka', '--partitions']],
    ['up', ['--kafka-port', '--redis-port']],
    ['down', ['--kafka-port', '--redis-port']],
    ['simulate', ['--scenario', '--seed', '--duration', '--out', '--kafka', '--pacing']],
    ['record', ['--out', '--kafka', '--topics', '--pattern', '--duration', '--group']],
    ['replay', ['<files...>', '--kafka', '--rate', '--loop', '--retime', '--topics', '--pacing', '--realtime', '--nice']],
    ['import', ['<dataset>', 'kitti, nuscenes, px4, ouster', '--out', '--kafka']],
    ['recover', ['<input>', '--out']],
    ['eval', ['--scenarios', '--duration', '--format', '--out']],
    ['bench', ['--quick', '--only']],
  ];
  it.each(cases)('%s: usage, an example and its options', (name, options) => {
    const text = help(name.split(' '));
    expect(text).toMatch(new RegExp(`^Usage: sensorfuse ${name} `, 'm'));
    expect(text).toContain('Examples:');
    expect(text).toContain(`$ sensorfuse ${name}`);
    for (const option of options) expect(text, `${name} --help`).toContain(option);
  });

  it('lists every command and the settings precedence at the top level (child process)', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(EXIT.ok);
    for (const name of cases.map(([n]) => n.split(' ')[0] ?? '')) expect(result.stdout).toMatch(new RegExp(`^ {2}${name} `, 'm'));
    expect(result.stdout).toContain('defaults < --config file (YAML or JSON) < SENSORFUSE_* environment < flags');
    expect(result.stdout).toContain('--config <file>');
  });

  it('prints a subcommand help from a real process with exit 0', async () => {
    const result = await cli(['replay', '--help']);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain('$ sensorfuse replay drive.mcap --kafka 127.0.0.1:9092');
  });
});

describe('user errors: one line, a hint, a distinct exit code', () => {
  it('2: unknown command', async () => {
    expectUserError(await cli(['frobnicate']), EXIT.usage, 'unknown command "frobnicate"');
  });

  it('2: unknown flag, and a bad flag value names the range', async () => {
    expectUserError(await cli(['run', '--frobnicate']), EXIT.usage, "unknown option '--frobnicate'");
    expectUserError(await cli(['topics', 'create', '--kafka', '127.0.0.1:9', '--partitions', '0']), EXIT.usage, '--partitions must be an integer in [1, 1024], found "0"');
    expectUserError(await cli(['replay', 'x.mcap', '--kafka', '127.0.0.1:9', '--pacing', 'exact']), EXIT.usage, '--pacing must be one of auto, precise, low-cpu, found "exact"');
    expectUserError(await cli(['replay', 'x.mcap', '--kafka', '127.0.0.1:9', '--realtime', '0']), EXIT.usage, '--realtime must be an integer in [1, 99], found "0"');
    expectUserError(await cli(['replay', 'x.mcap', '--kafka', '127.0.0.1:9', '--nice', '-30']), EXIT.usage, '--nice must be an integer in [-20, 19], found "-30"');
  });

  it('2: unknown scenario lists the known ones', async () => {
    const result = await cli(['run', '--scenario', 'mars-dust']);
    expectUserError(result, EXIT.usage, 'unknown scenario "mars-dust"');
    expect(result.stderr).toContain('urban-day');
  });

  it('3: a bad key in the config file, and a typo in a SENSORFUSE_ variable', async () => {
    const file = path.join(scratch, 'typo.yaml');
    writeFileSync(file, 'prot: 9000\n');
    expectUserError(await cli(['--config', file, 'run']), EXIT.badConfig, `unknown key prot from file ${file}`);
    expectUserError(await cli(['run'], { SENSORFUSE_PROT: '9000' }), EXIT.badConfig, 'unknown environment variable SENSORFUSE_PROT');
  });

  it('3: a bad value in the config file names the key, the range and the value', async () => {
    const file = path.join(scratch, 'range.json');
    writeFileSync(file, JSON.stringify({ port: 70000 }));
    expectUserError(await cli(['--config', file, 'run']), EXIT.badConfig, /port from file .*range\.json: expected an integer in \[0, 65535\], found 70000/);
  });

  it('5: Kafka unreachable (a closed loopback port)', async () => {
    const port = await closedPort();
    const result = await cli(['worker', 'lidar', '--kafka', `127.0.0.1:${String(port)}`]);
    expectUserError(result, EXIT.kafkaUnreachable, `127.0.0.1:${String(port)}`);
    expect(result.stderr).toContain('is Kafka running?');
  });

  it('6: Redis unreachable (a closed loopback port)', async () => {
    const port = await closedPort();
    // The fusion worker on its in-process bus, so only Redis is missing.
    const result = await cli(['worker', 'fusion', '--redis', `redis://127.0.0.1:${String(port)}`, '--health-port', '0'], { SENSORFUSE_FUSION_BUS_KIND: 'memory' });
    expectUserError(result, EXIT.redisUnreachable, `expected Redis at redis://127.0.0.1:${String(port)}`);
    expect(result.stderr).toContain('is Redis running?');
  });

  it('7: the dashboard port is taken', async () => {
    const port = await takenPort();
    expectUserError(await cli(['run', '--port', String(port), '--duration', '1']), EXIT.portInUse, `port ${String(port)}`);
  });

  it('7: a worker\'s health port is taken', async () => {
    const port = await takenPort();
    const result = await cli(['worker', 'lidar', '--health-port', String(port)], { SENSORFUSE_LIDAR_BUS_KIND: 'memory' });
    expectUserError(result, EXIT.portInUse, String(port));
  });

  it('8: the camera model is missing', async () => {
    const missing = path.join(scratch, 'no-such-model.onnx');
    const result = await cli(['worker', 'camera', '--health-port', '0'], { SENSORFUSE_CAMERA_BUS_KIND: 'memory', SENSORFUSE_CAMERA_MODEL_PATH: missing });
    expectUserError(result, EXIT.modelMissing, missing);
  });
});

describe('settings precedence: defaults < config file < SENSORFUSE_* environment < flags', () => {
  const yamlFile = path.join(scratch, 'settings.yaml');
  writeFileSync(yamlFile, '# a user\'s settings\nport: 9001\nseed: 5\nscenario: night-rain\n');
  const jsonFile = path.join(scratch, 'settings.json');
  writeFileSync(jsonFile, JSON.stringify({ port: 9101, partitions: 8 }));

  it('uses the schema defaults when nothing is set', () => {
    const config = loadCliConfig({ env: {} });
    expect(config).toEqual({ scenario: 'urban-day', seed: 1, duration: 0, port: 8080, kafka: '', redis: '', partitions: 4 });
  });

  it('a YAML or JSON file overrides defaults, the environment overrides the file, a flag overrides both', () => {
    expect(loadCliConfig({ file: yamlFile, env: {} })).toMatchObject({ port: 9001, seed: 5, scenario: 'night-rain', partitions: 4 });
    expect(loadCliConfig({ file: jsonFile, env: {} })).toMatchObject({ port: 9101, partitions: 8 });
    expect(loadCliConfig({ file: yamlFile, env: { SENSORFUSE_PORT: '9002' } })).toMatchObject({ port: 9002, seed: 5 });
    expect(loadCliConfig({ file: yamlFile, env: { SENSORFUSE_PORT: '9002' }, flags: { port: 9003 } })).toMatchObject({ port: 9003, seed: 5, scenario: 'night-rain' });
  });

  it('names the file by SENSORFUSE_CONFIG_FILE when --config is absent, and ignores the services\' own variables', () => {
    const config = loadCliConfig({ env: { SENSORFUSE_CONFIG_FILE: yamlFile, SENSORFUSE_LIDAR_VOXEL_LEAF_X: '0.3', SENSORFUSE_FUSION_GROUP_ID: 'x' } });
    expect(config.port).toBe(9001);
  });

  it('the running command obeys it: file port < env port < --port (each taken, so the error names the winner)', async () => {
    const [filePort, envPort, flagPort] = [await takenPort(), await takenPort(), await takenPort()];
    const file = path.join(scratch, 'ports.yaml');
    writeFileSync(file, `port: ${String(filePort)}\n`);
    const fromFile = await cli(['--config', file, 'run', '--duration', '1']);
    expect(fromFile.stderr).toContain(`port ${String(filePort)}`);
    const fromEnv = await cli(['--config', file, 'run', '--duration', '1'], { SENSORFUSE_PORT: String(envPort) });
    expect(fromEnv.stderr).toContain(`port ${String(envPort)}`);
    const fromFlag = await cli(['--config', file, 'run', '--duration', '1', '--port', String(flagPort)], { SENSORFUSE_PORT: String(envPort) });
    expect(fromFlag.stderr).toContain(`port ${String(flagPort)}`);
    for (const r of [fromFile, fromEnv, fromFlag]) expect(r.code).toBe(EXIT.portInUse);
  });
});
