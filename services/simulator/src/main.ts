/**
 * Composition root: simulate a scenario and write it to a directory.
 *   node --conditions=source --import tsx services/simulator/src/main.ts --scenario urban-day --seed 1 --out /tmp/sim [--pacing real-time] [--duration-s 10]
 * `--scenario` is a preset name or a path to a scenario JSON file. Ctrl-C stops at the next record
 * and closes the files cleanly (running → draining → stopped).
 */
import { parseArgs } from 'node:util';
import { writeSimulationFiles } from './adapters/files.js';
import { loadScenarioFile, presetScenario } from './core/presets.js';
import type { SimRecord } from './core/records.js';
import { createSimulation } from './simulation.js';

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'urban-day' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'sim-output' },
    pacing: { type: 'string', default: 'as-fast-as-possible' },
    'duration-s': { type: 'string' },
  },
});
const base = values.scenario.endsWith('.json') ? loadScenarioFile(values.scenario) : presetScenario(values.scenario);
const scenario = values['duration-s'] === undefined ? base : { ...base, durationS: Number(values['duration-s']) };
const pacing = values.pacing === 'real-time' ? 'real-time' : 'as-fast-as-possible';
const sim = createSimulation(scenario, { seed: Number(values.seed), pacing });

let state: 'running' | 'draining' | 'stopped' = 'running';
process.once('SIGINT', () => (state = 'draining'));
process.once('SIGTERM', () => (state = 'draining'));
async function* untilShutdown(records: AsyncIterable<SimRecord>): AsyncGenerator<SimRecord> {
  for await (const r of records) {
    if (state !== 'running') return;
    yield r;
  }
}
const stats = await writeSimulationFiles(sim.core, untilShutdown(sim), values.out);
state = 'stopped';
console.log(JSON.stringify({ scenario: scenario.name, seed: Number(values.seed), out: values.out, records: stats.records, payloadBytes: stats.bytes, state }));
