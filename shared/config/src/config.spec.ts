import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SensorfuseError, isRetriable } from '@sensorfuse/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  ConfigSchemaError,
  PARAMETERS_BEGIN,
  PARAMETERS_END,
  describeConfig,
  envNameFor,
  loadConfig,
  replaceParametersSection,
} from './index.js';

const lidarSchema = z.strictObject({
  voxel: z.strictObject({
    leafX: z.number().min(0.01).max(10).default(0.2).describe('Voxel leaf size along x, metres'),
    mode: z.enum(['centroid', 'first']).default('centroid').describe('Which point represents a voxel'),
  }),
  maxRangeM: z.number().min(1).max(300).default(120).describe('Points farther than this are dropped, metres'),
  statisticalOutlier: z.boolean().default(true).describe('Run statistical outlier removal'),
  httpPort: z.number().int().min(0).max(65535).default(9464).describe('Port of /healthz, /readyz, /metrics'),
  topics: z.array(z.string().min(1).max(64)).min(1).max(4).default(['raw.lidar']).describe('Input topics'),
});

const PREFIX = 'SENSORFUSE_LIDAR_';
const dir = mkdtempSync(join(tmpdir(), 'sensorfuse-config-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let fileCount = 0;
function writeJson(value: unknown): string {
  fileCount += 1;
  const path = join(dir, `config-${fileCount}.json`);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

function loadError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError, nothing was thrown');
}

describe('loadConfig', () => {
  it('gives the schema defaults when neither file nor environment sets anything', () => {
    const config = loadConfig(lidarSchema, { envPrefix: PREFIX, env: {} });
    expect(config).toEqual({
      voxel: { leafX: 0.2, mode: 'centroid' },
      maxRangeM: 120,
      statisticalOutlier: true,
      httpPort: 9464,
      topics: ['raw.lidar'],
    });
  });

  it('returns an object frozen at every depth', () => {
    const config = loadConfig(lidarSchema, { envPrefix: PREFIX, env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.voxel)).toBe(true);
    expect(Object.isFrozen(config.topics)).toBe(true);
    expect(() => {
      (config.voxel as { leafX: number }).leafX = 1;
    }).toThrow(TypeError);
  });

  it('maps environment variables by path and coerces numbers, booleans and JSON arrays', () => {
    const config = loadConfig(lidarSchema, {
      envPrefix: PREFIX,
      env: {
        SENSORFUSE_LIDAR_VOXEL_LEAF_X: '0.5',
        SENSORFUSE_LIDAR_VOXEL_MODE: 'first',
        SENSORFUSE_LIDAR_MAX_RANGE_M: '80',
        SENSORFUSE_LIDAR_STATISTICAL_OUTLIER: 'false',
        SENSORFUSE_LIDAR_HTTP_PORT: '0',
        SENSORFUSE_LIDAR_TOPICS: '["raw.lidar","raw.lidar.front"]',
        SENSORFUSE_CAMERA_HTTP_PORT: '1234', // another service's variable: not ours, not an error
        PATH: '/usr/bin',
      },
    });
    expect(config).toEqual({
      voxel: { leafX: 0.5, mode: 'first' },
      maxRangeM: 80,
      statisticalOutlier: false,
      httpPort: 0,
      topics: ['raw.lidar', 'raw.lidar.front'],
    });
  });

  it('names environment variables UPPER_SNAKE by path', () => {
    expect(envNameFor('SENSORFUSE_LIDAR', ['voxel', 'leafX'])).toBe('SENSORFUSE_LIDAR_VOXEL_LEAF_X');
    expect(envNameFor('SENSORFUSE_LIDAR_', ['maxRangeM'])).toBe('SENSORFUSE_LIDAR_MAX_RANGE_M');
    expect(envNameFor('X_', ['kafkaTLSCert'])).toBe('X_KAFKA_TLS_CERT');
    expect(envNameFor('X_', ['p95Ms'])).toBe('X_P95_MS');
  });

  it('reads a JSON file given in the options or by <PREFIX>CONFIG_FILE', () => {
    const file = writeJson({ voxel: { leafX: 1.5 }, topics: ['a', 'b'] });
    const expected = {
      voxel: { leafX: 1.5, mode: 'centroid' },
      maxRangeM: 120,
      statisticalOutlier: true,
      httpPort: 9464,
      topics: ['a', 'b'],
    };
    expect(loadConfig(lidarSchema, { envPrefix: PREFIX, env: {}, file })).toEqual(expected);
    expect(loadConfig(lidarSchema, { envPrefix: PREFIX, env: { SENSORFUSE_LIDAR_CONFIG_FILE: file } })).toEqual(expected);
  });

  it('takes env over file over defaults', () => {
    const file = writeJson({ voxel: { leafX: 1.5, mode: 'first' }, maxRangeM: 50 });
    const config = loadConfig(lidarSchema, {
      envPrefix: PREFIX,
      file,
      env: { SENSORFUSE_LIDAR_VOXEL_LEAF_X: '3' },
    });
    expect(config.voxel.leafX).toBe(3); // env
    expect(config.voxel.mode).toBe('first'); // file
    expect(config.maxRangeM).toBe(50); // file
    expect(config.httpPort).toBe(9464); // default
  });

  it('rejects an unknown key in the file with a typed error naming the key path and the file', () => {
    const file = writeJson({ voxel: { leafX: 1, leafZ: 2 } });
    const error = loadError(() => loadConfig(lidarSchema, { envPrefix: PREFIX, env: {}, file }));
    expect(error).toBeInstanceOf(SensorfuseError);
    expect(error.name).toBe('ConfigError');
    expect(isRetriable(error)).toBe(false);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.key).toBe('voxel.leafZ');
    expect(error.issues[0]?.source).toEqual({ kind: 'file', path: file });
    expect(error.message).toContain('unknown key voxel.leafZ');
    expect(error.message).toContain(file);
    expect(error.message).toContain('known keys here: leafX, mode');
  });

  it('rejects an unknown top-level key in the file', () => {
    const file = writeJson({ maxRange: 10 });
    const error = loadError(() => loadConfig(lidarSchema, { envPrefix: PREFIX, env: {}, file }));
    expect(error.issues.map((issue) => issue.key)).toEqual(['maxRange']);
  });

  it('rejects an environment variable with the prefix that maps to no key, naming the variable', () => {
    const error = loadError(() =>
      loadConfig(lidarSchema, { envPrefix: PREFIX, env: { SENSORFUSE_LIDAR_VOXEL_LEAF_Y: '1' } }),
    );
    expect(error.issues[0]?.source).toEqual({ kind: 'env', name: 'SENSORFUSE_LIDAR_VOXEL_LEAF_Y' });
    expect(error.message).toContain('unknown environment variable SENSORFUSE_LIDAR_VOXEL_LEAF_Y');
    expect(() =>
      loadConfig(lidarSchema, { envPrefix: PREFIX, env: { SENSORFUSE_LIDAR_VOXEL_LEAF_Y: '1' }, unknownEnv: 'ignore' }),
    ).not.toThrow();
  });

  it('names key, env var, expected range and found value for an out-of-range environment value', () => {
    const error = loadError(() =>
      loadConfig(lidarSchema, { envPrefix: PREFIX, env: { SENSORFUSE_LIDAR_VOXEL_LEAF_X: '20' } }),
    );
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.message).toBe(
      'voxel.leafX from env SENSORFUSE_LIDAR_VOXEL_LEAF_X: expected a number in [0.01, 10], found 20',
    );
  });

  it('names the file for an out-of-range file value, and reports every issue at once', () => {
    const file = writeJson({ maxRangeM: 0.5, httpPort: 70000 });
    const error = loadError(() => loadConfig(lidarSchema, { envPrefix: PREFIX, env: {}, file }));
    expect(error.issues.map((issue) => issue.message)).toEqual([
      `maxRangeM from file ${file}: expected a number in [1, 300], found 0.5`,
      `httpPort from file ${file}: expected an integer in [0, 65535], found 70000`,
    ]);
  });

  it('rejects text that is not a number, a non-integer port, a bad boolean and a bad enum', () => {
    const error = loadError(() =>
      loadConfig(lidarSchema, {
        envPrefix: PREFIX,
        env: {
          SENSORFUSE_LIDAR_MAX_RANGE_M: 'far',
          SENSORFUSE_LIDAR_HTTP_PORT: '80.5',
          SENSORFUSE_LIDAR_STATISTICAL_OUTLIER: 'maybe',
          SENSORFUSE_LIDAR_VOXEL_MODE: 'median',
        },
      }),
    );
    const byKey = new Map(error.issues.map((issue) => [issue.key, issue.message]));
    expect(byKey.get('maxRangeM')).toBe('maxRangeM from env SENSORFUSE_LIDAR_MAX_RANGE_M: expected a number in [1, 300], found "far"');
    expect(byKey.get('httpPort')).toBe('httpPort from env SENSORFUSE_LIDAR_HTTP_PORT: expected an integer in [0, 65535], found 80.5');
    expect(byKey.get('statisticalOutlier')).toContain('found "maybe"');
    expect(byKey.get('voxel.mode')).toBe(
      'voxel.mode from env SENSORFUSE_LIDAR_VOXEL_MODE: expected one of: "centroid", "first", found "median"',
    );
  });

  it('does not read an empty string as zero', () => {
    const error = loadError(() => loadConfig(lidarSchema, { envPrefix: PREFIX, env: { SENSORFUSE_LIDAR_HTTP_PORT: '' } }));
    expect(error.issues[0]?.key).toBe('httpPort');
  });

  it('checks array length and elements from JSON in the environment', () => {
    const tooMany = loadError(() =>
      loadConfig(lidarSchema, { envPrefix: PREFIX, env: { SENSORFUSE_LIDAR_TOPICS: '["a","b","c","d","e"]' } }),
    );
    expect(tooMany.issues[0]?.message).toContain('expected an array of strings in 1..4 items');
    const notJson = loadError(() => loadConfig(lidarSchema, { envPrefix: PREFIX, env: { SENSORFUSE_LIDAR_TOPICS: 'a,b' } }));
    expect(notJson.issues[0]?.message).toContain('expected an array of strings');
    const badElement = loadError(() => loadConfig(lidarSchema, { envPrefix: PREFIX, env: { SENSORFUSE_LIDAR_TOPICS: '["a",""]' } }));
    expect(badElement.issues[0]?.key).toBe('topics.1');
    expect(badElement.issues[0]?.source).toEqual({ kind: 'env', name: 'SENSORFUSE_LIDAR_TOPICS' });
  });

  it('reports a missing or malformed file as a ConfigError naming the file', () => {
    const missing = join(dir, 'nope.json');
    expect(loadError(() => loadConfig(lidarSchema, { envPrefix: PREFIX, env: {}, file: missing })).message).toContain(
      `cannot read config file ${missing}`,
    );
    const broken = writeJson('{ "voxel": ');
    expect(loadError(() => loadConfig(lidarSchema, { envPrefix: PREFIX, env: {}, file: broken })).message).toContain(
      `config file ${broken} is not valid JSON`,
    );
    const list = writeJson([1, 2]);
    expect(loadError(() => loadConfig(lidarSchema, { envPrefix: PREFIX, env: {}, file: list })).message).toContain(
      'expected a JSON object at the top, found [1,2]',
    );
  });
});

describe('schema rules', () => {
  function schemaProblems(schema: z.ZodObject): readonly string[] {
    try {
      loadConfig(schema, { envPrefix: 'T_', env: {} });
    } catch (error) {
      if (error instanceof ConfigSchemaError) return error.problems;
      throw error;
    }
    return [];
  }

  it('requires a description, a default and a range on every leaf', () => {
    const problems = schemaProblems(
      z.strictObject({
        a: z.number().min(0).max(1).default(0.5),
        b: z.number().min(0).max(1).describe('b'),
        c: z.number().min(0).default(1).describe('c'),
        d: z.string().default('x').describe('d'),
      }),
    );
    expect(problems).toEqual([
      'a: no description (.describe())',
      'b: no default (.default()); defaults live in the schema only',
      'c: no complete range (.min() and .max())',
      'd: no complete range (.min() and .max())',
    ]);
  });

  it('requires strict objects so unknown keys can be rejected', () => {
    const problems = schemaProblems(
      z.strictObject({ inner: z.object({ x: z.number().min(0).max(1).default(0).describe('x') }) }),
    );
    expect(problems).toEqual(['inner: objects must be strict (z.strictObject) so unknown keys are rejected']);
  });

  it('rejects a default outside its own range', () => {
    const problems = schemaProblems(z.strictObject({ x: z.number().min(0).max(1).default(5).describe('x') }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('default of x is invalid');
  });

  it('rejects two keys that map to the same environment variable', () => {
    const problems = schemaProblems(
      z.strictObject({
        voxelLeaf: z.strictObject({ x: z.number().min(0).max(1).default(0).describe('x') }),
        voxel: z.strictObject({ leafX: z.number().min(0).max(1).default(0).describe('x') }),
      }),
    );
    expect(problems).toEqual(['voxelLeaf.x and voxel.leafX both map to T_VOXEL_LEAF_X']);
  });
});

describe('describeConfig', () => {
  it('renders the parameters table from the schema', () => {
    expect(describeConfig(lidarSchema)).toBe(
      [
        '| Key | Type | Default | Range | Description |',
        '| --- | --- | --- | --- | --- |',
        '| `voxel.leafX` | number | `0.2` | [0.01, 10] | Voxel leaf size along x, metres |',
        '| `voxel.mode` | enum | `"centroid"` | one of: "centroid", "first" | Which point represents a voxel |',
        '| `maxRangeM` | number | `120` | [1, 300] | Points farther than this are dropped, metres |',
        '| `statisticalOutlier` | boolean | `true` | true, false | Run statistical outlier removal |',
        '| `httpPort` | integer | `9464` | [0, 65535] | Port of /healthz, /readyz, /metrics |',
        '| `topics` | string[] | `["raw.lidar"]` | 1..4 items; each 1..64 chars | Input topics |',
        '',
      ].join('\n'),
    );
  });

  it('adds the environment variable column when given a prefix, and escapes pipes', () => {
    const schema = z.strictObject({
      gt: z.number().gt(0).lt(1).default(0.5).describe('open interval | exclusive'),
    });
    expect(describeConfig(schema, { envPrefix: 'SENSORFUSE_X' })).toBe(
      [
        '| Key | Type | Default | Range | Description | Environment variable |',
        '| --- | --- | --- | --- | --- | --- |',
        '| `gt` | number | `0.5` | (0, 1) | open interval \\| exclusive | `SENSORFUSE_X_GT` |',
        '',
      ].join('\n'),
    );
  });

  it('replaces the generated section of a README between its markers', () => {
    const readme = `# x\n\n## Parameters\n\n${PARAMETERS_BEGIN}\nold table\n${PARAMETERS_END}\n\n## Limits\n`;
    expect(replaceParametersSection(readme, '| new |\n')).toBe(
      `# x\n\n## Parameters\n\n${PARAMETERS_BEGIN}\n\n| new |\n\n${PARAMETERS_END}\n\n## Limits\n`,
    );
    expect(() => replaceParametersSection('# no markers', '| t |')).toThrow(/no parameters section/);
  });
});
