import { StateClosedError, StateKeyTypeError } from './errors.js';
import type {
  CompareAndSetResult,
  RegistryVersion,
  StateStore,
  VersionedValue,
  WriteEntry,
  WriteOptions,
} from './types.js';
import { checkEntries, checkInteger, checkKey, checkTtl, checkValue } from './validate.js';

export interface MemoryStateStoreOptions {
  /** Monotonic milliseconds for TTLs. Default: performance.now(). Inject a fake clock in tests. */
  readonly nowMs?: () => number;
}

type Slot =
  | { readonly kind: 'bytes'; readonly value: Uint8Array; readonly expiresAtMs: number }
  | { readonly kind: 'versioned'; readonly value: Uint8Array; readonly version: number; readonly expiresAtMs: number };

/**
 * The StateStore of embedded mode and unit tests: the same semantics as RedisStateStore (the
 * conformance suite runs on both), in one process. Values are copied in and out, so a caller that
 * reuses its buffer cannot change what was stored.
 */
export class MemoryStateStore implements StateStore {
  private readonly slots = new Map<string, Slot>();
  private readonly registries = new Map<string, RegistryVersion[]>();
  private readonly nowMs: () => number;
  private closed = false;

  constructor(options: MemoryStateStoreOptions = {}) {
    this.nowMs = options.nowMs ?? (() => performance.now());
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.run('get', () => {
      checkKey(key, 'get');
      const slot = this.live(key);
      if (slot === undefined) return undefined;
      if (slot.kind !== 'bytes') throw wrongKind(key, 'get', 'plain bytes', 'a checkpoint');
      return slot.value.slice();
    });
  }

  set(key: string, value: Uint8Array, options?: WriteOptions): Promise<void> {
    return this.run('set', () => {
      checkKey(key, 'set');
      checkValue(value, key, 'set');
      const ttlMs = checkTtl(options, key, 'set');
      this.slots.set(key, { kind: 'bytes', value: value.slice(), expiresAtMs: this.expiry(ttlMs) });
    });
  }

  setMany(entries: readonly WriteEntry[]): Promise<void> {
    return this.run('setMany', () => {
      checkEntries(entries, 'setMany');
      for (const entry of entries) {
        const ttlMs = checkTtl(entry, entry.key, 'setMany');
        this.slots.set(entry.key, { kind: 'bytes', value: entry.value.slice(), expiresAtMs: this.expiry(ttlMs) });
      }
    });
  }

  delete(key: string): Promise<boolean> {
    return this.run('delete', () => {
      checkKey(key, 'delete');
      const existed = this.live(key) !== undefined;
      this.slots.delete(key);
      return existed;
    });
  }

  getVersioned(key: string): Promise<VersionedValue | undefined> {
    return this.run('getVersioned', () => {
      checkKey(key, 'getVersioned');
      const slot = this.live(key);
      if (slot === undefined) return undefined;
      if (slot.kind !== 'versioned') throw wrongKind(key, 'getVersioned', 'a checkpoint', 'plain bytes');
      return { value: slot.value.slice(), version: slot.version };
    });
  }

  compareAndSet(
    key: string,
    expectedVersion: number,
    value: Uint8Array,
    options?: WriteOptions,
  ): Promise<CompareAndSetResult> {
    return this.run('compareAndSet', () => {
      checkKey(key, 'compareAndSet');
      checkInteger('expectedVersion', expectedVersion, 0, key, 'compareAndSet');
      checkValue(value, key, 'compareAndSet');
      const ttlMs = checkTtl(options, key, 'compareAndSet');
      const slot = this.live(key);
      if (slot?.kind === 'bytes') throw wrongKind(key, 'compareAndSet', 'a checkpoint', 'plain bytes');
      const currentVersion = slot?.version ?? 0;
      if (currentVersion !== expectedVersion) return { outcome: 'conflict', currentVersion };
      const version = currentVersion + 1;
      this.slots.set(key, { kind: 'versioned', value: value.slice(), version, expiresAtMs: this.expiry(ttlMs) });
      return { outcome: 'written', version };
    });
  }

  appendVersion(key: string, validFromUs: number, value: Uint8Array): Promise<RegistryVersion> {
    return this.run('appendVersion', () => {
      checkKey(key, 'appendVersion');
      checkInteger('validFromUs', validFromUs, Number.MIN_SAFE_INTEGER, key, 'appendVersion');
      checkValue(value, key, 'appendVersion');
      let versions = this.registries.get(key);
      if (versions === undefined) {
        versions = [];
        this.registries.set(key, versions);
      }
      const entry: RegistryVersion = { version: versions.length + 1, validFromUs, value: value.slice() };
      versions.push(entry);
      return copyVersion(entry);
    });
  }

  versionAt(key: string, timeUs: number): Promise<RegistryVersion | undefined> {
    return this.run('versionAt', () => {
      checkKey(key, 'versionAt');
      checkInteger('timeUs', timeUs, Number.MIN_SAFE_INTEGER, key, 'versionAt');
      let best: RegistryVersion | undefined;
      // Ascending version order, so `>=` lets a later append with the same validFromUs win.
      for (const entry of this.registries.get(key) ?? []) {
        if (entry.validFromUs <= timeUs && (best === undefined || entry.validFromUs >= best.validFromUs)) best = entry;
      }
      return best === undefined ? undefined : copyVersion(best);
    });
  }

  listVersions(key: string): Promise<RegistryVersion[]> {
    return this.run('listVersions', () => {
      checkKey(key, 'listVersions');
      return (this.registries.get(key) ?? []).map(copyVersion);
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** The slot at `key` unless it has expired (then it is removed, as Redis does lazily). */
  private live(key: string): Slot | undefined {
    const slot = this.slots.get(key);
    if (slot !== undefined && slot.expiresAtMs <= this.nowMs()) {
      this.slots.delete(key);
      return undefined;
    }
    return slot;
  }

  private expiry(ttlMs: number | undefined): number {
    return ttlMs === undefined ? Number.POSITIVE_INFINITY : this.nowMs() + ttlMs;
  }

  /** Runs synchronously but answers like a remote store: errors become rejections, never throws. */
  private run<T>(operation: string, body: () => T): Promise<T> {
    try {
      if (this.closed) throw new StateClosedError(`${operation}: the MemoryStateStore was closed`, { context: { operation } });
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

function copyVersion(entry: RegistryVersion): RegistryVersion {
  return { version: entry.version, validFromUs: entry.validFromUs, value: entry.value.slice() };
}

function wrongKind(key: string, operation: string, expected: string, found: string): StateKeyTypeError {
  return new StateKeyTypeError(`${operation}: expected key ${JSON.stringify(key)} to hold ${expected}, found ${found}`, {
    context: { key, operation },
  });
}
