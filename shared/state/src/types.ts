/** Options of a plain or checkpoint write. */
export interface WriteOptions {
  /** The key expires this many milliseconds after the write (positive integer). Default: never. */
  readonly ttlMs?: number;
}

/** One entry of an atomic multi-key write. */
export interface WriteEntry extends WriteOptions {
  readonly key: string;
  readonly value: Uint8Array;
}

/** A checkpoint: bytes plus the version the store assigned to this write (1, 2, 3… per key). */
export interface VersionedValue {
  readonly value: Uint8Array;
  readonly version: number;
}

export type CompareAndSetResult =
  | { readonly outcome: 'written'; readonly version: number }
  /** Someone else wrote first (or deleted): `currentVersion` is what is there now, 0 when absent. */
  | { readonly outcome: 'conflict'; readonly currentVersion: number };

/** One version of a registry entry (e.g. a rig calibration), valid from `validFromUs` on. */
export interface RegistryVersion {
  /** 1 for the first version appended under the key, then 2, 3… in append order. */
  readonly version: number;
  /** Event time (µs since the Unix epoch) from which this version applies. */
  readonly validFromUs: number;
  readonly value: Uint8Array;
}

/**
 * Durable state of the pipeline, for checkpoints (tracker state) and the calibration registry.
 * Three kinds of keys:
 * - plain bytes: `get` / `set` / `setMany` / `delete`, optional TTL;
 * - checkpoints: `getVersioned` / `compareAndSet`, so a zombie instance cannot overwrite the state
 *   written by the instance that replaced it; `delete` removes them too. A plain key and a
 *   checkpoint key share one key space: reading one kind as the other is a StateKeyTypeError,
 *   and `set` replaces whatever the key held;
 * - registries (their own key space): an append-only list of versions, each valid from an event
 *   time; `versionAt(t)` answers "which calibration applied at t".
 * Every method rejects with a StateError subclass: StateUnavailableError (retriable) when the
 * backend cannot be reached, StateKeyTypeError, StateArgumentError or StateClosedError otherwise.
 */
export interface StateStore {
  get(key: string): Promise<Uint8Array | undefined>;
  /** Writes `value` at `key`, replacing any value (and its TTL). */
  set(key: string, value: Uint8Array, options?: WriteOptions): Promise<void>;
  /** Writes all entries at once: a reader sees none or all of them. Validated before anything is written. */
  setMany(entries: readonly WriteEntry[]): Promise<void>;
  /** Removes a plain or checkpoint key; true when something was removed. */
  delete(key: string): Promise<boolean>;

  getVersioned(key: string): Promise<VersionedValue | undefined>;
  /**
   * Writes the checkpoint only if its current version is `expectedVersion` (0 = the key must be
   * absent); the new version is `expectedVersion + 1`. Atomic against concurrent writers.
   */
  compareAndSet(
    key: string,
    expectedVersion: number,
    value: Uint8Array,
    options?: WriteOptions,
  ): Promise<CompareAndSetResult>;

  /** Appends a version to the registry `key` and returns it (its number is the new list length). */
  appendVersion(key: string, validFromUs: number, value: Uint8Array): Promise<RegistryVersion>;
  /**
   * The version valid at `timeUs`: among versions with `validFromUs <= timeUs`, the one with the
   * greatest `validFromUs`, and of those the most recently appended (a correction wins). Undefined
   * when none applies yet.
   */
  versionAt(key: string, timeUs: number): Promise<RegistryVersion | undefined>;
  /** All versions of the registry `key` in append order; [] when there are none. */
  listVersions(key: string): Promise<RegistryVersion[]>;

  /** Releases the connection. Further calls reject with StateClosedError. Safe to call twice. */
  close(): Promise<void>;
}
