import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PortInUseError, TelemetryServerError } from './errors.js';
import { PROMETHEUS_CONTENT_TYPE, type PrometheusMetrics } from './metrics.js';

/** A readiness check: true when ready; false, a rejection or a throw mean not ready. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface TelemetryServerOptions {
  /** Port; 0 picks a free one (read it back from `server.port`). */
  readonly port: number;
  /** Interface to bind; default `127.0.0.1` (loopback only — expose deliberately with `0.0.0.0`). */
  readonly host?: string;
  /** When given, `/metrics` serves it; otherwise `/metrics` is 404. */
  readonly metrics?: Pick<PrometheusMetrics, 'scrape'>;
  /** A check that does not settle within this time counts as failing. Default 2000 ms. */
  readonly checkTimeoutMs?: number;
}

export interface TelemetryServer {
  readonly host: string;
  readonly port: number;
  /** `http://host:port`. */
  readonly url: string;
  /** Adds a named readiness check; `/readyz` is 503 naming the first failing check until all pass. Returns a remover. */
  addReadinessCheck(name: string, check: ReadinessCheck): () => void;
  close(): Promise<void>;
}

type CheckResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => {
      resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
  });
  const verdict = (async (): Promise<CheckResult> => {
    try {
      return (await check()) ? { ok: true } : { ok: false, reason: 'not ready' };
    } catch (error) {
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
  })();
  try {
    return await Promise.race([verdict, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json');
  response.setHeader('cache-control', 'no-store');
  response.end(JSON.stringify(body));
}

/**
 * One small HTTP server per service:
 * - `GET /healthz` → 200 `{"status":"alive"}` while the process serves requests;
 * - `GET /readyz`  → 200 `{"status":"ready"}` when every registered check passes, else
 *   503 `{"status":"not ready","failing":"<check name>","reason":"…"}` (checks run in the order added);
 * - `GET /metrics` → the Prometheus text of `options.metrics`.
 * @throws PortInUseError when the port is taken; TelemetryServerError for other listen failures.
 */
export async function startTelemetryServer(options: TelemetryServerOptions): Promise<TelemetryServer> {
  const host = options.host ?? '127.0.0.1';
  const checkTimeoutMs = options.checkTimeoutMs ?? 2000;
  const checks = new Map<string, ReadinessCheck>();

  async function readiness(): Promise<{ status: number; body: unknown }> {
    for (const [name, check] of checks) {
      const result = await runCheck(check, checkTimeoutMs);
      if (!result.ok) return { status: 503, body: { status: 'not ready', failing: name, reason: result.reason } };
    }
    return { status: 200, body: { status: 'ready', checks: [...checks.keys()] } };
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      sendJson(response, 405, { error: `method ${request.method ?? '?'} not allowed` });
      return;
    }
    switch (path) {
      case '/healthz':
        sendJson(response, 200, { status: 'alive' });
        return;
      case '/readyz': {
        const { status, body } = await readiness();
        sendJson(response, status, body);
        return;
      }
      case '/metrics':
        if (options.metrics === undefined) {
          sendJson(response, 404, { error: 'metrics are not enabled for this service' });
          return;
        }
        try {
          const text = await options.metrics.scrape();
          response.statusCode = 200;
          response.setHeader('content-type', PROMETHEUS_CONTENT_TYPE);
          response.end(text);
        } catch (error) {
          sendJson(response, 500, { error: error instanceof Error ? error.message : String(error) });
        }
        return;
      default:
        sendJson(response, 404, { error: `no route ${path}`, routes: ['/healthz', '/readyz', '/metrics'] });
    }
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: error instanceof Error ? error.message : String(error) });
      else response.destroy();
    });
  });
  // Probes must not keep a draining process alive.
  server.keepAliveTimeout = 1000;

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(host, options.port, error) : new TelemetryServerError(host, options.port, error));
    };
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.unref();

  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    host,
    port: address.port,
    url: `http://${urlHost}:${address.port}`,
    addReadinessCheck(name, check) {
      if (checks.has(name)) throw new TypeError(`readiness check ${JSON.stringify(name)} is already registered`);
      checks.set(name, check);
      return () => {
        if (checks.get(name) === check) checks.delete(name);
      };
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error === undefined) resolve();
          else reject(error);
        });
        server.closeAllConnections();
      }),
  };
}
