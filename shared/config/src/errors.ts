import { SensorfuseError } from '@sensorfuse/errors';

/** Where a config value came from, so a message can point the operator at the line to fix. */
export type ConfigSource =
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'default' };

export interface ConfigIssue {
  /** Dotted key path (`voxel.leafX`), or the variable/file name when no key could be named. */
  readonly key: string;
  readonly source: ConfigSource;
  /** One line: what was expected and what was found. */
  readonly message: string;
}

export function describeSource(source: ConfigSource): string {
  switch (source.kind) {
    case 'env':
      return `env ${source.name}`;
    case 'file':
      return `file ${source.path}`;
    case 'default':
      return 'schema default';
  }
}

/**
 * The configuration given to a service is wrong (unknown key, value out of range, unreadable file).
 * Never retriable: the same input fails the same way, the operator has to fix it.
 */
export class ConfigError extends SensorfuseError {
  readonly retriable = false;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options: { cause?: unknown } = {}) {
    const lines = issues.map((issue) => `  - ${issue.message}`);
    super(`invalid configuration (${issues.length} issue${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`, {
      cause: options.cause,
      context: {
        key: issues[0]?.key,
        source: issues[0] === undefined ? undefined : describeSource(issues[0].source),
      },
    });
    this.issues = Object.freeze([...issues]);
  }
}

/**
 * The schema itself breaks the config rules (a leaf without description, default or range; a
 * default outside its own range; two keys mapping to one environment variable). A programming
 * error, found the first time the schema is used.
 */
export class ConfigSchemaError extends SensorfuseError {
  readonly retriable = false;
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`config schema breaks the rules:\n${problems.map((p) => `  - ${p}`).join('\n')}`, {
      context: { problemCount: problems.length },
    });
    this.problems = Object.freeze([...problems]);
  }
}
