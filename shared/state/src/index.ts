export type {
  CompareAndSetResult,
  RegistryVersion,
  StateStore,
  VersionedValue,
  WriteEntry,
  WriteOptions,
} from './types.js';
export { MemoryStateStore } from './memory.js';
export type { MemoryStateStoreOptions } from './memory.js';
export { RedisStateStore } from './redis.js';
export type { RedisStateStoreOptions } from './redis.js';
export {
  StateArgumentError,
  StateBackendError,
  StateClosedError,
  StateKeyTypeError,
  StateUnavailableError,
} from './errors.js';
