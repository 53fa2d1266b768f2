import { StateArgumentError } from './errors.js';
import type { WriteEntry, WriteOptions } from './types.js';

export function checkKey(key: string, operation: string): void {
  if (typeof key !== 'string' || key.length === 0) {
    throw new StateArgumentError(`${operation}: expected a non-empty string key, found ${JSON.stringify(key)}`, {
      context: { operation },
    });
  }
}

export function checkTtl(options: WriteOptions | undefined, key: string, operation: string): number | undefined {
  const ttlMs = options?.ttlMs;
  if (ttlMs === undefined) return undefined;
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new StateArgumentError(`${operation}: expected ttlMs to be a positive integer, found ${ttlMs}`, {
      context: { operation, key },
    });
  }
  return ttlMs;
}

export function checkValue(value: Uint8Array, key: string, operation: string): void {
  if (!(value instanceof Uint8Array)) {
    throw new StateArgumentError(`${operation}: expected the value to be a Uint8Array, found ${typeof value}`, {
      context: { operation, key },
    });
  }
}

export function checkInteger(name: string, value: number, minimum: number, key: string, operation: string): void {
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new StateArgumentError(
      `${operation}: expected ${name} to be an integer >= ${minimum}, found ${value}`,
      { context: { operation, key } },
    );
  }
}

export function checkEntries(entries: readonly WriteEntry[], operation: string): void {
  for (const entry of entries) {
    checkKey(entry.key, operation);
    checkValue(entry.value, entry.key, operation);
    checkTtl(entry, entry.key, operation);
  }
}
