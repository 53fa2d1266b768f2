// The dashboard page: one WebSocket, three canvases and a table. Frames arrive at a bounded rate
// (the server drops, never queues); the page only keeps the newest of each and redraws once per
// animation frame when something changed.
import { BinaryKind, decodeBinaryFrame, type BevBox, type StateMessage } from '../src/core/protocol.js';

const RANGE_M = 50;
const CLASS_COLOURS: Readonly<Record<string, string>> = {
  car: '#4fc3f7', truck: '#7986cb', bus: '#9575cd', pedestrian: '#f06292', cyclist: '#aed581', motorcyclist: '#ffb74d', animal: '#a1887f',
};

function element<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`dashboard page: expected #${id} to be a ${type.name}`);
  return el;
}

function context2d(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new Error('dashboard page: no 2D canvas context');
  return ctx;
}

const bev = element('bev', HTMLCanvasElement);
const camera = element('camera', HTMLCanvasElement);
const latencyCanvas = element('latency', HTMLCanvasElement);
const healthBody = element('health', HTMLTableElement).tBodies[0];
const connection = element('connection', HTMLSpanElement);

let state: StateMessage | undefined;
let points = new Float32Array(0);
let image: ImageBitmap | undefined;
let imagesShown = 0;
let framesShown = 0;
let dirty = false;

function requestDraw(): void {
  if (dirty) return;
  dirty = true;
  requestAnimationFrame(() => {
    dirty = false;
    draw();
  });
}

/** View frame (x forward, y left) → canvas pixels, ego in the centre, forward up. */
function toCanvas(x: number, y: number): [number, number] {
  const scale = bev.width / (2 * RANGE_M);
  return [bev.width / 2 - y * scale, bev.height / 2 - x * scale];
}

function boxPath(ctx: CanvasRenderingContext2D, b: BevBox): void {
  const c = Math.cos(b.yawRad);
  const s = Math.sin(b.yawRad);
  const hl = b.lengthM / 2;
  const hw = b.widthM / 2;
  const corners: [number, number][] = [[hl, hw], [hl, -hw], [-hl, -hw], [-hl, hw]];
  ctx.beginPath();
  corners.forEach(([dx, dy], i) => {
    const [px, py] = toCanvas(b.x + c * dx - s * dy, b.y + s * dx + c * dy);
    if (i === 0) ctx.moveTo(px, py);
    else ctx.lineTo(px, py);
  });
  ctx.closePath();
}

function drawBev(): void {
  const ctx = context2d(bev);
  ctx.fillStyle = '#0b0d10';
  ctx.fillRect(0, 0, bev.width, bev.height);
  const scale = bev.width / (2 * RANGE_M);
  const [cx, cy] = toCanvas(0, 0);
  ctx.strokeStyle = '#232a33';
  ctx.fillStyle = '#5a6470';
  ctx.font = '10px sans-serif';
  for (let r = 10; r <= RANGE_M; r += 10) {
    ctx.beginPath();
    ctx.arc(cx, cy, r * scale, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.fillText(`${String(r)} m`, cx + 3, cy - r * scale - 2);
  }
  for (let i = 0; i + 2 < points.length; i += 3) {
    const z = points[i + 2] ?? 0;
    const [px, py] = toCanvas(points[i] ?? 0, points[i + 1] ?? 0);
    const h = Math.max(0, Math.min(1, (z + 2) / 4));
    ctx.fillStyle = `hsl(${String(Math.round(220 - 180 * h))} 70% ${String(Math.round(35 + 30 * h))}%)`;
    ctx.fillRect(px, py, 1.5, 1.5);
  }
  ctx.fillStyle = '#ffffff';
  ctx.beginPath();
  ctx.moveTo(cx, cy - 8);
  ctx.lineTo(cx - 5, cy + 5);
  ctx.lineTo(cx + 5, cy + 5);
  ctx.closePath();
  ctx.fill();
  if (state === undefined) return;

  ctx.setLineDash([4, 3]);
  ctx.strokeStyle = '#888888';
  for (const t of state.truth?.items ?? []) {
    boxPath(ctx, t);
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = '#f0a030';
  for (const o of state.objects?.items ?? []) {
    boxPath(ctx, o);
    ctx.stroke();
  }
  ctx.lineWidth = 2;
  for (const t of state.tracks?.items ?? []) {
    const colour = CLASS_COLOURS[t.objectClass] ?? '#4fc3f7';
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.globalAlpha = t.state === 'confirmed' ? 1 : 0.5;
    boxPath(ctx, t);
    ctx.stroke();
    const [px, py] = toCanvas(t.x, t.y);
    const [ax, ay] = toCanvas(t.x + t.vx, t.y + t.vy);
    ctx.beginPath();
    ctx.moveTo(px, py);
    ctx.lineTo(ax, ay);
    ctx.stroke();
    ctx.fillText(`#${String(t.trackId)} ${t.objectClass}`, px + 6, py - 6);
  }
  ctx.globalAlpha = 1;
  ctx.lineWidth = 1;
}

function drawCamera(): void {
  const ctx = context2d(camera);
  ctx.fillStyle = '#0b0d10';
  ctx.fillRect(0, 0, camera.width, camera.height);
  if (image === undefined) return;
  const k = Math.min(camera.width / image.width, camera.height / image.height);
  const w = image.width * k;
  const h = image.height * k;
  const ox = (camera.width - w) / 2;
  const oy = (camera.height - h) / 2;
  ctx.drawImage(image, ox, oy, w, h);
  const boxes = state?.cameraBoxes;
  let drawn = 0;
  if (boxes) {
    const sx = w / boxes.imageWidth;
    const sy = h / boxes.imageHeight;
    ctx.strokeStyle = '#ffe066';
    ctx.fillStyle = '#ffe066';
    ctx.font = '11px sans-serif';
    for (const b of boxes.items) {
      ctx.strokeRect(ox + b.xMin * sx, oy + b.yMin * sy, (b.xMax - b.xMin) * sx, (b.yMax - b.yMin) * sy);
      ctx.fillText(`${b.label} ${b.score.toFixed(2)}`, ox + b.xMin * sx, oy + b.yMin * sy - 3);
      drawn++;
    }
  }
  const projected = state?.projectedBoxes;
  let projectedDrawn = 0;
  if (projected) {
    const sx = w / projected.imageWidth;
    const sy = h / projected.imageHeight;
    ctx.strokeStyle = projected.source === 'fused' ? '#4fc3f7' : '#f0a030';
    ctx.fillStyle = ctx.strokeStyle;
    ctx.font = '11px sans-serif';
    ctx.setLineDash(projected.source === 'fused' ? [] : [5, 3]);
    for (const b of projected.items) {
      ctx.strokeRect(ox + b.xMin * sx, oy + b.yMin * sy, (b.xMax - b.xMin) * sx, (b.yMax - b.yMin) * sy);
      ctx.fillText(b.label, ox + b.xMin * sx, oy + b.yMax * sy + 11);
      projectedDrawn++;
    }
    ctx.setLineDash([]);
  }
  camera.dataset.boxes = String(drawn);
  camera.dataset.projected = String(projectedDrawn);
}

function drawHealth(s: StateMessage): void {
  if (healthBody === undefined) return;
  const rows = s.health.map((h) => {
    const tr = document.createElement('tr');
    tr.className = h.present ? 'present' : 'absent';
    tr.dataset.topic = h.topic;
    const age = h.ageUs === null ? '—' : `${(h.ageUs / 1e6).toFixed(1)} s ago`;
    for (const text of [h.topic, h.rateHz.toFixed(1), String(h.total), age, String(h.deadLetters)]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    }
    if (h.deadLetters > 0) tr.lastElementChild?.classList.add('dlq-bad');
    return tr;
  });
  healthBody.replaceChildren(...rows);
}

function drawLatency(s: StateMessage): void {
  const ctx = context2d(latencyCanvas);
  ctx.fillStyle = '#0b0d10';
  ctx.fillRect(0, 0, latencyCanvas.width, latencyCanvas.height);
  const stages = Object.entries(s.latency);
  const info: string[] = [];
  const colours = ['#f0a030', '#4fc3f7'];
  const first = stages[0]?.[1];
  if (first === undefined) return;
  const nBuckets = first.counts.length;
  const slot = (latencyCanvas.width - 20) / nBuckets;
  const barW = slot / Math.max(1, stages.length) - 2;
  const top = 14;
  const bottom = latencyCanvas.height - 16;
  ctx.font = '10px sans-serif';
  stages.forEach(([stage, hist], si) => {
    const max = Math.max(1, ...hist.counts);
    ctx.fillStyle = colours[si % colours.length] ?? '#ccc';
    hist.counts.forEach((count, i) => {
      const h = ((bottom - top) * count) / max;
      ctx.fillRect(10 + i * slot + si * (barW + 2), bottom - h, barW, h);
    });
    const p = (v: number | null): string => (v === null ? '—' : `${v.toFixed(1)} ms`);
    info.push(`${stage}: p50 ${p(hist.p50Ms)}, p99 ${p(hist.p99Ms)} (${String(hist.samples)} samples)`);
  });
  ctx.fillStyle = '#8b96a3';
  first.edgesMs.forEach((edge, i) => {
    ctx.fillText(`≤${String(edge)}`, 10 + i * slot, latencyCanvas.height - 4);
  });
  ctx.fillText('more', 10 + first.edgesMs.length * slot, latencyCanvas.height - 4);
  element('latency-info', HTMLElement).textContent = `capture → publish. ${info.join(' · ')}`;
}

function draw(): void {
  drawBev();
  drawCamera();
  framesShown++;
  bev.dataset.frames = String(framesShown);
  bev.dataset.points = String(points.length / 3);
  bev.dataset.objects = String(state?.objects?.items.length ?? 0);
  bev.dataset.tracks = String(state?.tracks?.items.length ?? 0);
  bev.dataset.truth = String(state?.truth?.items.length ?? 0);
  camera.dataset.images = String(imagesShown);
  if (state === undefined) return;
  drawHealth(state);
  drawLatency(state);
  const frame = state.tracks?.frameId ?? state.objects?.frameId ?? state.lidar?.frameId ?? '';
  element('bev-frame', HTMLElement).textContent = `${frame} · ±${String(RANGE_M)} m · ${String(points.length / 3)} of ${String(state.lidar?.pointCount ?? 0)} points`;
  const cam = state.camera;
  element('camera-info', HTMLElement).textContent = cam === null ? '' : `${cam.sensorId} ${String(cam.width)}×${String(cam.height)} ${cam.encoding}`;
  element('clock', HTMLElement).textContent = new Date(state.serverTimeUs / 1000).toISOString().slice(11, 23);
}

async function onBinary(buffer: ArrayBuffer): Promise<void> {
  const frame = decodeBinaryFrame(buffer);
  if (frame === undefined) return;
  if (frame.kind === BinaryKind.points) {
    points = new Float32Array(buffer, 8, frame.count * 3);
    requestDraw();
  } else if (frame.kind === BinaryKind.cameraJpeg) {
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(buffer, 8, frame.count)], { type: 'image/jpeg' }));
    image?.close();
    image = bitmap;
    imagesShown++;
    requestDraw();
  }
}

function connect(): void {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  ws.binaryType = 'arraybuffer';
  ws.onopen = () => {
    connection.textContent = 'live';
    connection.dataset.state = 'open';
  };
  ws.onmessage = (event: MessageEvent<ArrayBuffer | string>) => {
    if (typeof event.data === 'string') {
      state = JSON.parse(event.data) as StateMessage;
      requestDraw();
    } else {
      onBinary(event.data).catch((error: unknown) => {
        console.warn('dashboard: unreadable frame', error);
      });
    }
  };
  ws.onclose = () => {
    connection.textContent = 'disconnected — retrying';
    connection.dataset.state = 'closed';
    setTimeout(connect, 1000);
  };
}

connect();
requestDraw();
