import { InvalidArgumentError, type Command } from 'commander';
import { CLI_DEFAULTS, CLI_KEYS, loadCliConfig, type CliConfig, type CliKey } from './config.js';

/** A commander argument parser for an integer in [min, max]; a bad value is a usage error (exit 2). */
export function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer in [${String(min)}, ${String(max)}], found "${value}"`);
    }
    return n;
  };
}

/** A commander argument parser for a positive number (e.g. a rate). */
export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a number above 0, found "${value}"`);
    return n;
  };
}

/** `host:port[,host:port…]`, validated but kept as the text the config holds. */
export function brokerText(value: string): string {
  const brokers = value.split(',').map((b) => b.trim()).filter((b) => b !== '');
  if (brokers.length === 0 || brokers.some((b) => !/^[^\s:]+:\d{1,5}$/.test(b))) {
    throw new InvalidArgumentError(`expected host:port[,host:port…], found "${value}"`);
  }
  return brokers.join(',');
}

/** `a,b,c` → ['a', 'b', 'c']. */
export function list(value: string): string[] {
  return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
}

/** "(default: 8080, env SENSORFUSE_PORT)" for a shared setting, read from the schema. */
export function shared(key: CliKey, description: string): string {
  const value = CLI_DEFAULTS[key];
  const shown = value === '' ? 'none' : String(value);
  return `${description} (default: ${shown}; config key ${key}, env SENSORFUSE_${key.toUpperCase()})`;
}

/** Appends an "Examples:" block to a command's help. */
export function withExamples(command: Command, examples: readonly string[], notes = ''): Command {
  return command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n${notes === '' ? '' : `\n${notes}\n`}`);
}

/**
 * The settings of a command: defaults < --config file < SENSORFUSE_* environment < the flags the
 * user typed on this command line (commander's value source tells typed flags from defaults).
 */
export function settingsOf(command: Command): CliConfig {
  const all = command.optsWithGlobals<Record<string, unknown>>();
  const flags: Partial<Record<CliKey, string | number>> = {};
  for (const key of CLI_KEYS) {
    const value = command.getOptionValueSource(key) === 'cli' ? command.getOptionValue(key) as unknown : undefined;
    if (typeof value === 'string' || typeof value === 'number') flags[key] = value;
  }
  const file = typeof all.config === 'string' ? all.config : undefined;
  return loadCliConfig({ ...(file === undefined ? {} : { file }), flags });
}
