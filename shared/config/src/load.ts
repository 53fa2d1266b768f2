import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { coerceEnvValue, envNameFor, normalisePrefix } from './env.js';
import { ConfigError, ConfigSchemaError, describeSource, type ConfigIssue, type ConfigSource } from './errors.js';
import { deepFreeze, type DeepReadonly } from './freeze.js';
import { configLeaves, type ConfigLeaf, type ConfigSchema } from './leaves.js';

export interface LoadConfigOptions {
  /** Prefix of the service's environment variables, e.g. `SENSORFUSE_LIDAR_` (a trailing `_` is added if missing). */
  readonly envPrefix: string;
  /** Environment to read; defaults to `process.env`. Tests pass a plain object. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Optional JSON config file. When absent, `<PREFIX>CONFIG_FILE` names it; when both are absent, no file. */
  readonly file?: string;
  /**
   * What to do with a variable that carries the prefix but maps to no key (usually a typo).
   * Default `'reject'`: the prefix is the service's own, so nothing else should use it.
   */
  readonly unknownEnv?: 'reject' | 'ignore';
}

/** The typed result of loading a schema: deeply frozen. */
export type LoadedConfig<S extends ConfigSchema> = DeepReadonly<z.output<S>>;

type Plain = Record<string, unknown>;

function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function getPath(root: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let node: unknown = root;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null || !(segment in node)) return { found: false, value: undefined };
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return { found: true, value: node };
}

function setPath(root: Plain, path: readonly string[], value: unknown): void {
  let node = root;
  path.forEach((segment, i) => {
    if (i === path.length - 1) {
      node[segment] = value;
      return;
    }
    const next = node[segment];
    if (isPlainObject(next)) {
      node = next;
    } else {
      const created: Plain = {};
      node[segment] = created;
      node = created;
    }
  });
}

function formatValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function typeWords(leaf: ConfigLeaf): string {
  switch (leaf.type) {
    case 'number':
      return 'a number';
    case 'integer':
      return 'an integer';
    case 'boolean':
      return 'a boolean';
    case 'string':
      return 'a string';
    case 'enum':
      return 'a value';
    case 'array':
      return `an array of ${leaf.itemType ?? 'value'}s`;
  }
}

export function expectation(leaf: ConfigLeaf): string {
  if (leaf.type === 'enum' || leaf.type === 'boolean') return leaf.range ?? typeWords(leaf);
  return leaf.range === undefined ? typeWords(leaf) : `${typeWords(leaf)} in ${leaf.range}`;
}

interface SchemaInfo {
  readonly leaves: readonly ConfigLeaf[];
  readonly byKey: ReadonlyMap<string, ConfigLeaf>;
}

const schemaInfo = new WeakMap<ConfigSchema, SchemaInfo>();

/** Leaves plus the checks that need the schema itself: every default must satisfy its own range. */
function inspect(schema: ConfigSchema): SchemaInfo {
  const cached = schemaInfo.get(schema);
  if (cached !== undefined) return cached;
  const leaves = configLeaves(schema);
  // zod does not validate `.default()` values; parse them as explicit input to catch a default outside its range.
  const defaults: Plain = {};
  for (const leaf of leaves) setPath(defaults, leaf.path, leaf.defaultValue);
  const parsed = schema.safeParse(defaults);
  if (!parsed.success) {
    throw new ConfigSchemaError(
      parsed.error.issues.map((issue) => `default of ${issue.path.map(String).join('.')} is invalid: ${issue.message}`),
    );
  }
  const info: SchemaInfo = { leaves, byKey: new Map(leaves.map((leaf) => [leaf.key, leaf])) };
  schemaInfo.set(schema, info);
  return info;
}

function envIndex(leaves: readonly ConfigLeaf[], prefix: string): Map<string, ConfigLeaf> {
  const byEnv = new Map<string, ConfigLeaf>();
  const problems: string[] = [];
  const fileVar = `${prefix}CONFIG_FILE`;
  for (const leaf of leaves) {
    const name = envNameFor(prefix, leaf.path);
    const other = byEnv.get(name);
    if (other !== undefined) problems.push(`${other.key} and ${leaf.key} both map to ${name}`);
    if (name === fileVar) problems.push(`${leaf.key} maps to ${name}, which names the config file`);
    byEnv.set(name, leaf);
  }
  if (problems.length > 0) throw new ConfigSchemaError(problems);
  return byEnv;
}

function readConfigFile(path: string): { value: Plain } | { issue: ConfigIssue; cause: unknown } {
  const source: ConfigSource = { kind: 'file', path };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return { issue: { key: path, source, message: `cannot read config file ${path}: ${reason}` }, cause };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return { issue: { key: path, source, message: `config file ${path} is not valid JSON: ${reason}` }, cause };
  }
  if (!isPlainObject(value)) {
    return {
      issue: { key: path, source, message: `config file ${path}: expected a JSON object at the top, found ${formatValue(value)}` },
      cause: undefined,
    };
  }
  return { value };
}

/**
 * Loads a service's configuration once: schema defaults, then the optional JSON file, then
 * environment variables (env > file > defaults), validated by the schema and deeply frozen.
 *
 * Environment variables map by path: with prefix `SENSORFUSE_LIDAR_`, key `voxel.leafX` is
 * `SENSORFUSE_LIDAR_VOXEL_LEAF_X`. Numbers and booleans are parsed, arrays are JSON.
 *
 * @throws ConfigError naming every bad key, where it came from (env var or file), the expected range and the value found.
 * @throws ConfigSchemaError when the schema itself breaks the config rules.
 */
export function loadConfig<S extends ConfigSchema>(schema: S, options: LoadConfigOptions): LoadedConfig<S> {
  const info = inspect(schema);
  const prefix = normalisePrefix(options.envPrefix);
  const byEnv = envIndex(info.leaves, prefix);
  const env = options.env ?? process.env;
  const fileVar = `${prefix}CONFIG_FILE`;
  const envFile = env[fileVar];
  const filePath = options.file ?? (envFile === undefined || envFile === '' ? undefined : envFile);

  const issues: ConfigIssue[] = [];
  let input: Plain = {};
  let fileValue: Plain | undefined;
  let cause: unknown;
  if (filePath !== undefined) {
    const read = readConfigFile(filePath);
    if ('issue' in read) {
      issues.push(read.issue);
      cause = read.cause;
    } else {
      fileValue = read.value;
      input = structuredClone(read.value);
    }
  }

  const fromEnv = new Map<string, string>();
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(prefix) || name === fileVar || raw === undefined) continue;
    const leaf = byEnv.get(name);
    if (leaf === undefined) {
      if (options.unknownEnv !== 'ignore') {
        issues.push({
          key: name,
          source: { kind: 'env', name },
          message: `unknown environment variable ${name}: no config key maps to it (known: ${[...byEnv.keys()].join(', ')})`,
        });
      }
      continue;
    }
    const coerced = coerceEnvValue(leaf, raw);
    if (!coerced.ok) {
      issues.push({
        key: leaf.key,
        source: { kind: 'env', name },
        message: `${leaf.key} from env ${name}: expected ${expectation(leaf)}, found ${JSON.stringify(raw)}`,
      });
      continue;
    }
    fromEnv.set(leaf.key, name);
    setPath(input, leaf.path, coerced.value);
  }

  // Nested objects absent from file and env still get their leaves' defaults.
  for (const leaf of info.leaves) {
    for (let depth = 1; depth < leaf.path.length; depth += 1) {
      const parent = leaf.path.slice(0, depth);
      if (!getPath(input, parent).found) setPath(input, parent, {});
    }
  }

  const sourceOf = (path: readonly PropertyKey[]): ConfigSource => {
    for (let depth = path.length; depth > 0; depth -= 1) {
      const name = fromEnv.get(path.slice(0, depth).map(String).join('.'));
      if (name !== undefined) return { kind: 'env', name };
    }
    if (filePath !== undefined && getPath(fileValue, path).found) return { kind: 'file', path: filePath };
    return { kind: 'default' };
  };

  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        const known = [
          ...new Set(
            info.leaves
              .filter((leaf) => issue.path.every((segment, i) => leaf.path[i] === segment))
              .map((leaf) => leaf.path[issue.path.length])
              .filter((segment): segment is string => segment !== undefined),
          ),
        ];
        for (const unknownKey of issue.keys) {
          const path = [...issue.path, unknownKey];
          const key = path.map(String).join('.');
          const source = sourceOf(path);
          issues.push({
            key,
            source,
            message: `unknown key ${key} from ${describeSource(source)} (known keys here: ${known.join(', ')})`,
          });
        }
        continue;
      }
      const key = issue.path.map(String).join('.');
      // An element of an array leaf (`topics.2`) is reported against the array's own key.
      let leaf: ConfigLeaf | undefined;
      for (let depth = issue.path.length; depth > 0 && leaf === undefined; depth -= 1) {
        leaf = info.byKey.get(issue.path.slice(0, depth).map(String).join('.'));
      }
      const source = sourceOf(issue.path);
      const found = formatValue(getPath(input, issue.path).value);
      const where = `${key} from ${describeSource(source)}`;
      issues.push({
        key,
        source,
        message:
          leaf === undefined
            ? `${where}: ${issue.message}, found ${found}`
            : leaf.key === key
              ? `${where}: expected ${expectation(leaf)}, found ${found}`
              : `${where}: element of ${leaf.key} (${expectation(leaf)}): ${issue.message}, found ${found}`,
      });
    }
  }

  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues, { cause });
  return deepFreeze<z.output<S>>(parsed.data);
}
