/** The subset of a pino logger the buses need: `logger.warn({ ...fields }, 'message')`. */
export interface TransportLogger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info(fields: object, message: string): void;
  debug(fields: object, message: string): void;
}

/** pino-style JSON lines on stderr, for a bus created without a logger. */
export const stderrLogger: TransportLogger = (() => {
  const write = (level: string) => (fields: object, message: string) => {
    process.stderr.write(`${JSON.stringify({ level, time: Date.now(), msg: message, ...fields })}\n`);
  };
  return { error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug') };
})();
