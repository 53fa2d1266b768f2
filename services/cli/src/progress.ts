import cliProgress from 'cli-progress';

/** A progress bar on a terminal; silent when stderr is a pipe or a file (CI logs stay clean). */
export interface Progress {
  update(value: number, info?: string): void;
  stop(): void;
}

const SILENT: Progress = { update: () => undefined, stop: () => undefined };

/** `label [████░░░░] 42% | 4.2/10 s | 1234 records`, redrawn at most 10 times a second. */
export function progressBar(label: string, total: number, unit: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || !(total > 0)) return SILENT;
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {info}`, stream, hideCursor: true, fps: 10, barsize: 30 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { info: '' });
  return {
    update: (value, info = '') => {
      bar.update(Math.min(total, Math.round(value * 10) / 10), { info });
    },
    stop: () => {
      bar.stop();
    },
  };
}

/** For jobs of unknown length: one line redrawn in place with a count, at most 10 times a second. */
export function progressCounter(label: string, unit: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return SILENT;
  let last = 0;
  let drawn = false;
  return {
    update: (value, info = '') => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      drawn = true;
      stream.write(`\r${label}: ${String(value)} ${unit}${info === '' ? '' : ` | ${info}`}\x1b[K`);
    },
    stop: () => {
      if (drawn) stream.write('\n');
    },
  };
}
