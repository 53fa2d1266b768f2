import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Scenario } from './scenario.js';
import { InvalidScenarioError, resolveScenario } from './scenario.js';

/** The folder of scenario files shipped with the package (src/ and dist/ are both two levels below it). */
export const SCENARIO_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

export const PRESET_NAMES = ['urban-day', 'night-rain', 'sensor-dropout', 'crowded', 'highway'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** Parse scenario JSON text (only the keys that differ from the defaults need to be present). */
export function parseScenario(json: string, source = 'scenario'): Scenario {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new InvalidScenarioError(`${source} is not valid JSON`, { cause, context: { source } });
  }
  return resolveScenario(parsed);
}

export function loadScenarioFile(path: string): Scenario {
  return parseScenario(readFileSync(path, 'utf8'), path);
}

/** A named preset shipped in scenarios/, or throws listing the known names. */
export function presetScenario(name: string): Scenario {
  const known = readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  if (!known.includes(name)) {
    throw new InvalidScenarioError(`unknown scenario preset "${name}"; expected one of ${known.join(', ')}`, { context: { preset: name } });
  }
  return loadScenarioFile(`${SCENARIO_DIR}${name}.json`);
}
