import { context as otelContext, isSpanContextValid, trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

export type LogLevel = Level | 'silent';
export type { Logger };

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface CreateLoggerOptions {
  /** Level; default from `SENSORFUSE_LOG_LEVEL`, then `LOG_LEVEL`, then `info`. Services pass their config value. */
  readonly level?: LogLevel;
  /** Environment to read the level from; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where JSON lines go; default stdout. Tests pass a stream. */
  readonly destination?: DestinationStream;
}

function isLevel(value: string): value is LogLevel {
  return (LEVELS as readonly string[]).includes(value);
}

/**
 * A pino JSON logger for a service: one JSON object per line with `level`, `time`, `service`,
 * `msg`, and `trace_id`/`span_id` when a span is active, so logs and traces join.
 * @throws TypeError for an unknown level (a typo in the environment should not silently log at info).
 */
export function createLogger(service: string, options: CreateLoggerOptions = {}): Logger {
  const env = options.env ?? process.env;
  const raw = options.level ?? env.SENSORFUSE_LOG_LEVEL ?? env.LOG_LEVEL ?? 'info';
  const level = raw.toLowerCase();
  if (!isLevel(level)) {
    throw new TypeError(`unknown log level ${JSON.stringify(raw)}: expected one of ${LEVELS.join(', ')}`);
  }
  const loggerOptions = {
    level,
    base: { service },
    formatters: { level: (label: string) => ({ level: label }) },
    mixin: () => {
      const spanContext = trace.getSpanContext(otelContext.active());
      return spanContext !== undefined && isSpanContextValid(spanContext)
        ? { trace_id: spanContext.traceId, span_id: spanContext.spanId }
        : {};
    },
  };
  return options.destination === undefined ? pino(loggerOptions) : pino(loggerOptions, options.destination);
}
