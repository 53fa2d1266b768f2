import type { ConfigLeaf, LeafType } from './leaves.js';

/** `leafX` → `LEAF_X`, `maxRangeM` → `MAX_RANGE_M`, `httpURLPath` → `HTTP_URL_PATH`. */
export function toEnvSegment(name: string): string {
  return name
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

/** Normalised prefix: `SENSORFUSE_LIDAR` and `SENSORFUSE_LIDAR_` both give `SENSORFUSE_LIDAR_`. */
export function normalisePrefix(prefix: string): string {
  return prefix.endsWith('_') ? prefix : `${prefix}_`;
}

/** The environment variable that sets a key: prefix + path segments in UPPER_SNAKE joined by `_`. */
export function envNameFor(prefix: string, path: readonly string[]): string {
  return normalisePrefix(prefix) + path.map(toEnvSegment).join('_');
}

export type Coerced = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly expected: string };

function coerceScalar(type: LeafType, raw: string): Coerced {
  const text = raw.trim();
  switch (type) {
    case 'number':
    case 'integer': {
      // Number('') is 0 and Number('0x10') is 16: accept only plain decimal notation.
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return { ok: false, expected: `a${type === 'integer' ? 'n integer' : ' number'}` };
      return { ok: true, value: Number(text) };
    }
    case 'boolean': {
      const lower = text.toLowerCase();
      if (lower === 'true' || lower === '1') return { ok: true, value: true };
      if (lower === 'false' || lower === '0') return { ok: true, value: false };
      return { ok: false, expected: 'true, false, 1 or 0' };
    }
    case 'string':
    case 'enum':
      return { ok: true, value: raw };
    case 'array':
      return { ok: false, expected: 'a scalar' };
  }
}

/**
 * Turns the text of an environment variable into the value the schema expects: numbers and
 * booleans are parsed, arrays are JSON (`[0.1, 0.2]`, `["a","b"]`), strings and enums pass as is.
 * Range checks are left to the schema so every range message comes from one place.
 */
export function coerceEnvValue(leaf: ConfigLeaf, raw: string): Coerced {
  if (leaf.type !== 'array') return coerceScalar(leaf.type, raw);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, expected: 'a JSON array' };
  }
  if (!Array.isArray(parsed)) return { ok: false, expected: 'a JSON array' };
  return { ok: true, value: parsed };
}
