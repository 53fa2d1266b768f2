import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { InfraPortInUseError, InfraStartError, InfraToolMissingError } from './errors.js';

/** deploy/local of this repository: src/ and dist/ are both three levels below the root. */
export const defaultScriptsDir = fileURLToPath(new URL('../../../deploy/local/', import.meta.url));

export interface ScriptResult {
  /** KEY=value lines of the script's output (KAFKA_BROKERS, REDIS_PID…). */
  readonly values: ReadonlyMap<string, string>;
  readonly output: string;
}

/** Exit codes shared by deploy/local/kafka.sh and redis.sh. */
const EXIT_TOOL_MISSING = 4;
const EXIT_PORT_IN_USE = 5;

/**
 * Runs `bash <script> <command>` with extra environment, forwards each human-readable line to `log`
 * and turns a failure into the typed error its exit code names.
 */
export function runScript(
  scriptPath: string,
  command: 'start' | 'stop' | 'status' | 'fetch',
  env: Readonly<Record<string, string>>,
  log: (line: string) => void,
): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [scriptPath, command], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const values = new Map<string, string>();
    const onData = (chunk: Buffer, pending: { text: string }): void => {
      pending.text += chunk.toString('utf8');
      let newline = pending.text.indexOf('\n');
      while (newline >= 0) {
        const line = pending.text.slice(0, newline);
        pending.text = pending.text.slice(newline + 1);
        lines.push(line);
        const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
        if (match?.[1] !== undefined && match[2] !== undefined) values.set(match[1], match[2]);
        else if (line.trim() !== '') log(line);
        newline = pending.text.indexOf('\n');
      }
    };
    const out = { text: '' };
    const err = { text: '' };
    child.stdout.on('data', (chunk: Buffer) => {
      onData(chunk, out);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      onData(chunk, err);
    });
    child.once('error', (cause) => {
      reject(
        new InfraToolMissingError(`expected to run bash ${scriptPath} ${command}, but bash could not be started`, {
          cause,
          context: { script: scriptPath, command },
        }),
      );
    });
    child.once('close', (code, signal) => {
      for (const rest of [out.text, err.text]) if (rest.trim() !== '') lines.push(rest);
      const output = lines.join('\n');
      if (code === 0) {
        resolve({ values, output });
        return;
      }
      const tail = lines.slice(-20).join('\n');
      const context = { script: scriptPath, command, exitCode: code ?? -1, signal: signal ?? '' };
      const message = `${scriptPath} ${command} failed (exit ${code ?? signal ?? '?'}):\n${tail}`;
      if (code === EXIT_TOOL_MISSING) reject(new InfraToolMissingError(message, { context }));
      else if (code === EXIT_PORT_IN_USE) reject(new InfraPortInUseError(message, { context }));
      else reject(new InfraStartError(message, { context }));
    });
  });
}

export function requireValue(result: ScriptResult, key: string, scriptPath: string): string {
  const value = result.values.get(key);
  if (value === undefined || value === '') {
    throw new InfraStartError(`expected ${scriptPath} to print ${key}=…, found:\n${result.output}`, {
      context: { script: scriptPath, key },
    });
  }
  return value;
}
