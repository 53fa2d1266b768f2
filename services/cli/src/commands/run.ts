export interface RunOptions {
  readonly scenario: string;
  readonly seed: number;
  readonly duration?: number;
  readonly kafka?: readonly string[];
  readonly redis?: string;
}

/** Placeholder until the embedded pipeline is assembled. */
export async function runEmbedded(options: RunOptions): Promise<void> {
  await Promise.resolve();
  process.stdout.write(`sensorfuse: scenario ${options.scenario}: embedded pipeline not assembled yet\n`);
}
