import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Bus } from '@sensorfuse/transport';
import type { Subscription } from 'rxjs';
import { WebSocketServer, type WebSocket } from 'ws';
import { dashboardViewSchema } from './config.js';
import { DashboardState, HEALTH_TOPICS, TOPICS } from './core/dashboard-state.js';
import { BinaryKind, encodeBinaryHeader } from './core/protocol.js';
import { DashboardListenError, PortInUseError } from './errors.js';

export interface DashboardOptions {
  readonly bus: Bus;
  /** TCP port; 0 picks a free one (read it back from `url`). Default 8080. */
  readonly port?: number;
  /** Interface to listen on. Default 127.0.0.1 (local only). */
  readonly host?: string;
  /** State frames (points, boxes, health) per second. Default 5. */
  readonly frameRateHz?: number;
  /** Camera images per second, at most. Default 4. */
  readonly cameraRateHz?: number;
  /** LIDAR points per frame, at most. Default 4000. */
  readonly maxPoints?: number;
  /** A client whose socket buffers more than this many bytes skips frames until it catches up. Default 4 MiB. */
  readonly maxBufferedBytes?: number;
  /** Consumer group prefix; each topic is read by `<prefix>.<topic>`. Default `sensorfuse-dashboard-<pid>`. */
  readonly groupId?: string;
  /** Wall clock, integer microseconds. */
  readonly nowUs?: () => number;
}

export interface Dashboard {
  /** e.g. http://127.0.0.1:8080/ */
  readonly url: string;
  readonly port: number;
  /** Stops the frame timer, closes the sockets and the HTTP server, leaves the consumer groups. */
  close(): Promise<void>;
}

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));
const ASSETS: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/style.css': 'style.css',
};
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
/** How often topics that did not exist yet (fusion not started…) are looked for again. */
const TOPIC_POLL_MS = 2000;
const READ_TOPICS: readonly string[] = [...HEALTH_TOPICS, ...HEALTH_TOPICS.map((t) => `${t}.dlq`), TOPICS.truth, TOPICS.calibration];

/** The schema's defaults: they live there only. */
const DEFAULTS = dashboardViewSchema.parse({});

const systemNowUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);

async function serveAsset(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path === '/healthz' || path === '/readyz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  const file = ASSETS[path];
  if (file === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  const body = await readFile(`${PUBLIC_DIR}${file}`);
  const ext = file.slice(file.lastIndexOf('.') + 1);
  res.writeHead(200, { 'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream', 'cache-control': 'no-cache' }).end(body);
}

function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') reject(new PortInUseError(host, port, error));
      else reject(new DashboardListenError(`dashboard: cannot listen on ${host}:${port} (${error.code ?? error.message})`, error, { host, port }));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * Serves the dashboard page and pushes the pipeline's state to every connected page over a
 * WebSocket at a bounded rate: newest record wins, nothing queues per client beyond one frame.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const host = options.host ?? DEFAULTS.host;
  const nowUs = options.nowUs ?? systemNowUs;
  const frameIntervalMs = 1000 / (options.frameRateHz ?? DEFAULTS.frameRateHz);
  const cameraIntervalUs = 1e6 / (options.cameraRateHz ?? DEFAULTS.cameraRateHz);
  const maxBuffered = options.maxBufferedBytes ?? DEFAULTS.maxBufferedBytes;
  const groupPrefix = options.groupId ?? `sensorfuse-dashboard-${String(process.pid)}`;
  const state = new DashboardState({ maxPoints: options.maxPoints ?? DEFAULTS.maxPoints, latencySamples: 2048, presenceTimeoutUs: 3_000_000 });

  const server = createServer((req, res) => {
    serveAsset(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('dashboard asset unreadable\n');
    });
  });
  await listen(server, options.port ?? DEFAULTS.port, host);
  const wss = new WebSocketServer({ server, path: '/ws' });

  // One subscription (and consumer group) per topic, so a topic created later (the fusion worker
  // starting after the dashboard) is simply subscribed when it appears.
  const subscriptions = new Map<string, Subscription>();
  const subscribeExisting = async (): Promise<void> => {
    for (const topic of READ_TOPICS) {
      if (subscriptions.has(topic)) continue;
      if ((await options.bus.admin.partitionCount(topic)) === undefined) continue;
      const subscription = options.bus
        .subscribe({ groupId: `${groupPrefix}.${topic}`, topics: [topic], highWaterMark: Number.POSITIVE_INFINITY, highWaterMarkBytes: Number.POSITIVE_INFINITY })
        .subscribe({
          next: (record) => {
            state.ingest(record.topic, record.value, nowUs(), record.timestampUs);
          },
          // A failed subscription (bus closed) is retried by the next poll.
          error: () => subscriptions.delete(topic),
        });
      subscriptions.set(topic, subscription);
    }
  };
  await subscribeExisting();
  const poll = setInterval(() => void subscribeExisting().catch(() => undefined), TOPIC_POLL_MS);

  let lastCameraUs = 0;
  const sent = new WeakMap<WebSocket, { points: number; camera: number; cameraAtUs: number; spectrogram: number }>();
  const tick = (): void => {
    if (wss.clients.size === 0) return;
    const now = nowUs();
    const points = state.latestPoints();
    const camera = now - lastCameraUs >= cameraIntervalUs ? state.latestCamera() : undefined;
    const spectrogram = state.latestSpectrogram();
    const message = JSON.stringify(state.snapshot(now));
    for (const ws of wss.clients) {
      if (ws.readyState !== ws.OPEN || ws.bufferedAmount > maxBuffered) continue;
      const seen = sent.get(ws) ?? { points: 0, camera: 0, cameraAtUs: 0, spectrogram: 0 };
      if (points !== undefined && points.version !== seen.points) {
        ws.send(Buffer.concat([encodeBinaryHeader(BinaryKind.points, points.xyz.length / 3), new Uint8Array(points.xyz.buffer, points.xyz.byteOffset, points.xyz.byteLength)]));
        seen.points = points.version;
      }
      if (camera !== undefined && camera.version !== seen.camera) {
        ws.send(Buffer.concat([encodeBinaryHeader(BinaryKind.cameraJpeg, camera.jpeg.byteLength), camera.jpeg]));
        seen.camera = camera.version;
      }
      if (spectrogram !== undefined && spectrogram.version !== seen.spectrogram) {
        ws.send(Buffer.concat([encodeBinaryHeader(BinaryKind.spectrogram, spectrogram.columns), spectrogram.data]));
        seen.spectrogram = spectrogram.version;
      }
      ws.send(message);
      sent.set(ws, seen);
    }
    if (camera !== undefined) lastCameraUs = now;
  };
  const timer = setInterval(tick, frameIntervalMs);

  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${String(address.port)}/`,
    port: address.port,
    close: async () => {
      clearInterval(timer);
      clearInterval(poll);
      for (const s of subscriptions.values()) s.unsubscribe();
      subscriptions.clear();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => { wss.close(() => { resolve(); }); });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}
