import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  StateBackendError,
  StateClosedError,
  StateKeyTypeError,
  StateUnavailableError,
} from './errors.js';
import type {
  CompareAndSetResult,
  RegistryVersion,
  StateStore,
  VersionedValue,
  WriteEntry,
  WriteOptions,
} from './types.js';
import { checkEntries, checkInteger, checkKey, checkTtl, checkValue } from './validate.js';

export interface RedisStateStoreOptions {
  /** Prepended to every Redis key, e.g. 'sensorfuse:' or a per-test namespace. Default ''. */
  readonly keyPrefix?: string;
  /** Give up connecting after this long. Default 5000. */
  readonly connectTimeoutMs?: number;
  /** Reconnect attempts a command waits for before it fails with StateUnavailableError. Default 2. */
  readonly maxRetriesPerRequest?: number;
}

/*
 * Key layout (after keyPrefix):
 *   kv:<key>                     plain bytes: a Redis string; checkpoint: a hash {version, value}
 *   reg:{<key>}:entries          registry: a list, element i = version i+1 = 8-byte BE float64 validFromUs + value
 *   reg:{<key>}:validfrom        registry index: a sorted set, score validFromUs, member = zero-padded version
 * The braces keep a registry's two keys in one Redis Cluster slot.
 */
const KV = 'kv:';
const VERSION_DIGITS = 15;

/** A Lua script run with EVALSHA, loaded with EVAL on NOSCRIPT (after a Redis restart). */
interface Script {
  readonly lua: string;
  readonly sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

// Reply {1, newVersion} when written, {0, currentVersion} on conflict. Lua numbers are doubles:
// versions stay exact up to 2^53.
const COMPARE_AND_SET = script(`
local kind = redis.call('TYPE', KEYS[1])['ok']
local current = 0
if kind == 'hash' then
  current = tonumber(redis.call('HGET', KEYS[1], 'version'))
elseif kind ~= 'none' then
  return redis.error_reply('WRONGTYPE Operation against a key holding the wrong kind of value')
end
if current ~= tonumber(ARGV[1]) then return {0, current} end
local version = current + 1
redis.call('HSET', KEYS[1], 'version', version, 'value', ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) else redis.call('PERSIST', KEYS[1]) end
return {1, version}
`);

const APPEND_VERSION = script(`
local version = redis.call('RPUSH', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[1], string.format('%0${VERSION_DIGITS}d', version))
return version
`);

// ZREVRANGEBYSCORE returns equal scores in reverse lexicographic order: the zero-padded member
// makes the most recently appended version win a tie.
const VERSION_AT = script(`
local found = redis.call('ZREVRANGEBYSCORE', KEYS[2], ARGV[1], '-inf', 'LIMIT', 0, 1)
if #found == 0 then return false end
local version = tonumber(found[1])
return {version, redis.call('LINDEX', KEYS[1], version - 1)}
`);

/** Redis error replies that mean "not now" rather than "never". */
const TRANSIENT_REPLIES = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|READONLY|MASTERDOWN|NOREPLICAS)\b/;

/**
 * StateStore on Redis (ioredis; the only package that imports it). Checkpoint compare-and-set and
 * registry appends are Lua scripts, so they are atomic against other instances; setMany is a
 * MULTI/EXEC transaction.
 */
export class RedisStateStore implements StateStore {
  private closed = false;

  private constructor(
    private readonly client: Redis,
    private readonly keyPrefix: string,
    private readonly url: string,
  ) {}

  /** Connects to `url` (redis://host:port[/db]) and resolves once Redis is ready. */
  static async connect(url: string, options: RedisStateStoreOptions = {}): Promise<RedisStateStore> {
    const client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: options.connectTimeoutMs ?? 5000,
      maxRetriesPerRequest: options.maxRetriesPerRequest ?? 2,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    });
    // Errors also reach the commands that fail; without a listener ioredis would log each one.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (cause) {
      client.disconnect();
      throw new StateUnavailableError(`expected Redis at ${redactUrl(url)} to accept a connection, it did not`, {
        cause,
        context: { url: redactUrl(url), operation: 'connect' },
      });
    }
    return new RedisStateStore(client, options.keyPrefix ?? '', redactUrl(url));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    checkKey(key, 'get');
    const reply = await this.command('get', key, () => this.client.getBuffer(this.kv(key)));
    return reply === null ? undefined : view(reply);
  }

  async set(key: string, value: Uint8Array, options?: WriteOptions): Promise<void> {
    checkKey(key, 'set');
    checkValue(value, key, 'set');
    const ttlMs = checkTtl(options, key, 'set');
    await this.command('set', key, () =>
      ttlMs === undefined
        ? this.client.set(this.kv(key), toBuffer(value))
        : this.client.set(this.kv(key), toBuffer(value), 'PX', ttlMs),
    );
  }

  async setMany(entries: readonly WriteEntry[]): Promise<void> {
    checkEntries(entries, 'setMany');
    if (entries.length === 0) return;
    const transaction = this.client.multi();
    for (const entry of entries) {
      if (entry.ttlMs === undefined) transaction.set(this.kv(entry.key), toBuffer(entry.value));
      else transaction.set(this.kv(entry.key), toBuffer(entry.value), 'PX', entry.ttlMs);
    }
    const results = await this.command('setMany', entries[0]?.key ?? '', () => transaction.exec());
    const failed = results?.find(([error]) => error !== null)?.[0];
    if (results === null || failed !== undefined) {
      throw this.translate(failed ?? new Error('EXEC returned null (transaction aborted)'), 'setMany', entries[0]?.key ?? '');
    }
  }

  async delete(key: string): Promise<boolean> {
    checkKey(key, 'delete');
    return (await this.command('delete', key, () => this.client.del(this.kv(key)))) > 0;
  }

  async getVersioned(key: string): Promise<VersionedValue | undefined> {
    checkKey(key, 'getVersioned');
    const [version, value] = await this.command('getVersioned', key, () =>
      this.client.hmgetBuffer(this.kv(key), 'version', 'value'),
    );
    if (version === null || version === undefined || value === null || value === undefined) return undefined;
    return { value: view(value), version: Number(version.toString('latin1')) };
  }

  async compareAndSet(
    key: string,
    expectedVersion: number,
    value: Uint8Array,
    options?: WriteOptions,
  ): Promise<CompareAndSetResult> {
    checkKey(key, 'compareAndSet');
    checkInteger('expectedVersion', expectedVersion, 0, key, 'compareAndSet');
    checkValue(value, key, 'compareAndSet');
    const ttlMs = checkTtl(options, key, 'compareAndSet') ?? 0;
    const reply = await this.eval(COMPARE_AND_SET, 'compareAndSet', key, [this.kv(key)], [
      String(expectedVersion),
      toBuffer(value),
      String(ttlMs),
    ]);
    const [written, version] = integerPair(reply, 'compareAndSet', key);
    return written === 1 ? { outcome: 'written', version } : { outcome: 'conflict', currentVersion: version };
  }

  async appendVersion(key: string, validFromUs: number, value: Uint8Array): Promise<RegistryVersion> {
    checkKey(key, 'appendVersion');
    checkInteger('validFromUs', validFromUs, Number.MIN_SAFE_INTEGER, key, 'appendVersion');
    checkValue(value, key, 'appendVersion');
    const reply = await this.eval(APPEND_VERSION, 'appendVersion', key, this.registryKeys(key), [
      String(validFromUs),
      encodeEntry(validFromUs, value),
    ]);
    if (typeof reply !== 'number') throw unexpectedReply('appendVersion', key, reply);
    return { version: reply, validFromUs, value: value.slice() };
  }

  async versionAt(key: string, timeUs: number): Promise<RegistryVersion | undefined> {
    checkKey(key, 'versionAt');
    checkInteger('timeUs', timeUs, Number.MIN_SAFE_INTEGER, key, 'versionAt');
    const reply = await this.eval(VERSION_AT, 'versionAt', key, this.registryKeys(key), [String(timeUs)]);
    if (reply === null) return undefined;
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || !Buffer.isBuffer(reply[1])) {
      throw unexpectedReply('versionAt', key, reply);
    }
    return decodeEntry(reply[0], reply[1], key);
  }

  async listVersions(key: string): Promise<RegistryVersion[]> {
    checkKey(key, 'listVersions');
    const [entriesKey] = this.registryKeys(key);
    const entries = await this.command('listVersions', key, () => this.client.lrangeBuffer(entriesKey, 0, -1));
    return entries.map((entry, index) => decodeEntry(index + 1, entry, key));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private kv(key: string): string {
    return `${this.keyPrefix}${KV}${key}`;
  }

  private registryKeys(key: string): [entries: string, validFrom: string] {
    const base = `${this.keyPrefix}reg:{${key}}`;
    return [`${base}:entries`, `${base}:validfrom`];
  }

  private async eval(
    lua: Script,
    operation: string,
    key: string,
    keys: readonly string[],
    args: readonly (string | Buffer)[],
  ): Promise<unknown> {
    try {
      return await this.command(operation, key, () =>
        this.client.callBuffer('EVALSHA', [lua.sha, keys.length, ...keys, ...args]),
      );
    } catch (error) {
      if (!(error instanceof StateBackendError) || !/NOSCRIPT/.test(error.message)) throw error;
      return this.command(operation, key, () => this.client.callBuffer('EVAL', [lua.lua, keys.length, ...keys, ...args]));
    }
  }

  private async command<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    if (this.closed) {
      throw new StateClosedError(`${operation}: the RedisStateStore for ${this.url} was closed`, {
        context: { operation, key },
      });
    }
    try {
      return await run();
    } catch (error) {
      throw this.translate(error, operation, key);
    }
  }

  /** The one place that maps ioredis failures to the state errors (and so decides retriability). */
  private translate(error: unknown, operation: string, key: string): Error {
    const context = { operation, key, url: this.url };
    const message = error instanceof Error ? error.message : String(error);
    const isReply = error instanceof Error && error.name === 'ReplyError';
    if (isReply && message.startsWith('WRONGTYPE')) {
      return new StateKeyTypeError(
        `${operation}: key ${JSON.stringify(key)} holds the other kind of value (plain bytes vs checkpoint): ${message}`,
        { cause: error, context },
      );
    }
    if (isReply && !TRANSIENT_REPLIES.test(message)) {
      return new StateBackendError(`${operation}: Redis refused the command: ${message}`, { cause: error, context });
    }
    return new StateUnavailableError(`${operation}: Redis at ${this.url} is unavailable: ${message}`, {
      cause: error,
      context,
    });
  }
}

function toBuffer(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** A Uint8Array over the reply's memory (no copy), not a Buffer, so callers see one type from every store. */
function view(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function encodeEntry(validFromUs: number, value: Uint8Array): Buffer {
  const entry = Buffer.allocUnsafe(8 + value.byteLength);
  entry.writeDoubleBE(validFromUs, 0);
  entry.set(value, 8);
  return entry;
}

function decodeEntry(version: number, entry: Buffer, key: string): RegistryVersion {
  if (entry.byteLength < 8) {
    throw new StateBackendError(
      `registry ${JSON.stringify(key)} version ${version}: expected at least 8 bytes, found ${entry.byteLength}`,
      { context: { key, version } },
    );
  }
  return { version, validFromUs: entry.readDoubleBE(0), value: view(entry.subarray(8)) };
}

function integerPair(reply: unknown, operation: string, key: string): [number, number] {
  if (Array.isArray(reply) && typeof reply[0] === 'number' && typeof reply[1] === 'number') return [reply[0], reply[1]];
  throw unexpectedReply(operation, key, reply);
}

function unexpectedReply(operation: string, key: string, reply: unknown): StateBackendError {
  return new StateBackendError(`${operation}: unexpected reply from Redis: ${JSON.stringify(reply)}`, {
    context: { operation, key },
  });
}

/** redis://user:password@host → redis://user:***@host, for messages and logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
