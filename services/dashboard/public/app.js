"use strict";
(() => {
  // src/core/protocol.ts
  var BINARY_HEADER_BYTES = 8;
  var BinaryKind = {
    /** Payload: pointCount × (x, y, z) float32 little-endian, metres, in the scan's frame. */
    points: 1,
    /** Payload: one JPEG image as published on raw.camera. */
    cameraJpeg: 2,
    /** Payload: `count` spectrogram columns × `StateMessage.audio.bands` bytes, oldest column first, low band first. */
    spectrogram: 3
  };
  function decodeBinaryFrame(buffer) {
    if (buffer.byteLength < BINARY_HEADER_BYTES) return void 0;
    const view = new DataView(buffer);
    return { kind: view.getUint8(0), count: view.getUint32(4, true), payload: new Uint8Array(buffer, BINARY_HEADER_BYTES) };
  }

  // web/main.ts
  var RANGE_M = 50;
  var CLASS_COLOURS = {
    car: "#4fc3f7",
    truck: "#7986cb",
    bus: "#9575cd",
    pedestrian: "#f06292",
    cyclist: "#aed581",
    motorcyclist: "#ffb74d",
    animal: "#a1887f"
  };
  function element(id, type) {
    const el = document.getElementById(id);
    if (!(el instanceof type)) throw new Error(`dashboard page: expected #${id} to be a ${type.name}`);
    return el;
  }
  function context2d(canvas) {
    const ctx = canvas.getContext("2d");
    if (ctx === null) throw new Error("dashboard page: no 2D canvas context");
    return ctx;
  }
  var bev = element("bev", HTMLCanvasElement);
  var camera = element("camera", HTMLCanvasElement);
  var latencyCanvas = element("latency", HTMLCanvasElement);
  var spectrogramCanvas = element("spectrogram", HTMLCanvasElement);
  var bearingsCanvas = element("bearings", HTMLCanvasElement);
  var healthBody = element("health", HTMLTableElement).tBodies[0];
  var connection = element("connection", HTMLSpanElement);
  var state;
  var points = new Float32Array(0);
  var image;
  var spectrogram;
  var spectrogramDraws = 0;
  var imagesShown = 0;
  var framesShown = 0;
  var dirty = false;
  function requestDraw() {
    if (dirty) return;
    dirty = true;
    requestAnimationFrame(() => {
      dirty = false;
      draw();
    });
  }
  function toCanvas(x, y) {
    const scale = bev.width / (2 * RANGE_M);
    return [bev.width / 2 - y * scale, bev.height / 2 - x * scale];
  }
  function boxPath(ctx, b) {
    const c = Math.cos(b.yawRad);
    const s = Math.sin(b.yawRad);
    const hl = b.lengthM / 2;
    const hw = b.widthM / 2;
    const corners = [[hl, hw], [hl, -hw], [-hl, -hw], [-hl, hw]];
    ctx.beginPath();
    corners.forEach(([dx, dy], i) => {
      const [px, py] = toCanvas(b.x + c * dx - s * dy, b.y + s * dx + c * dy);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    ctx.closePath();
  }
  function drawBev() {
    const ctx = context2d(bev);
    ctx.fillStyle = "#0b0d10";
    ctx.fillRect(0, 0, bev.width, bev.height);
    const scale = bev.width / (2 * RANGE_M);
    const [cx, cy] = toCanvas(0, 0);
    ctx.strokeStyle = "#232a33";
    ctx.fillStyle = "#5a6470";
    ctx.font = "10px sans-serif";
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
    ctx.fillStyle = "#ffffff";
    ctx.beginPath();
    ctx.moveTo(cx, cy - 8);
    ctx.lineTo(cx - 5, cy + 5);
    ctx.lineTo(cx + 5, cy + 5);
    ctx.closePath();
    ctx.fill();
    if (state === void 0) return;
    ctx.setLineDash([4, 3]);
    ctx.strokeStyle = "#888888";
    for (const t of state.truth?.items ?? []) {
      boxPath(ctx, t);
      ctx.stroke();
    }
    ctx.setLineDash([]);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#f0a030";
    for (const o of state.objects?.items ?? []) {
      boxPath(ctx, o);
      ctx.stroke();
    }
    ctx.lineWidth = 2;
    for (const t of state.tracks?.items ?? []) {
      const colour = CLASS_COLOURS[t.objectClass] ?? "#4fc3f7";
      ctx.strokeStyle = colour;
      ctx.fillStyle = colour;
      ctx.globalAlpha = t.state === "confirmed" ? 1 : 0.5;
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
  function drawCamera() {
    const ctx = context2d(camera);
    ctx.fillStyle = "#0b0d10";
    ctx.fillRect(0, 0, camera.width, camera.height);
    if (image === void 0) return;
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
      ctx.strokeStyle = "#ffe066";
      ctx.fillStyle = "#ffe066";
      ctx.font = "11px sans-serif";
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
      ctx.strokeStyle = projected.source === "fused" ? "#4fc3f7" : "#f0a030";
      ctx.fillStyle = ctx.strokeStyle;
      ctx.font = "11px sans-serif";
      ctx.setLineDash(projected.source === "fused" ? [] : [5, 3]);
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
  function drawHealth(s) {
    if (healthBody === void 0) return;
    const rows = s.health.map((h) => {
      const tr = document.createElement("tr");
      tr.className = h.present ? "present" : "absent";
      tr.dataset.topic = h.topic;
      const age = h.ageUs === null ? "—" : `${(h.ageUs / 1e6).toFixed(1)} s ago`;
      const lag = h.lagUs === null ? "—" : `${(h.lagUs / 1e3).toFixed(0)} ms`;
      for (const text of [h.topic, h.rateHz.toFixed(1), String(h.total), age, lag, String(h.deadLetters)]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      }
      if (h.deadLetters > 0) tr.lastElementChild?.classList.add("dlq-bad");
      return tr;
    });
    healthBody.replaceChildren(...rows);
  }
  function drawLatency(s) {
    const ctx = context2d(latencyCanvas);
    ctx.fillStyle = "#0b0d10";
    ctx.fillRect(0, 0, latencyCanvas.width, latencyCanvas.height);
    const stages = Object.entries(s.latency);
    const info = [];
    const colours = ["#f0a030", "#4fc3f7"];
    const first = stages[0]?.[1];
    if (first === void 0) return;
    const nBuckets = first.counts.length;
    const slot = (latencyCanvas.width - 20) / nBuckets;
    const barW = slot / Math.max(1, stages.length) - 2;
    const top = 14;
    const bottom = latencyCanvas.height - 16;
    ctx.font = "10px sans-serif";
    stages.forEach(([stage, hist], si) => {
      const max = Math.max(1, ...hist.counts);
      ctx.fillStyle = colours[si % colours.length] ?? "#ccc";
      hist.counts.forEach((count, i) => {
        const h = (bottom - top) * count / max;
        ctx.fillRect(10 + i * slot + si * (barW + 2), bottom - h, barW, h);
      });
      const p = (v) => v === null ? "—" : `${v.toFixed(1)} ms`;
      info.push(`${stage}: p50 ${p(hist.p50Ms)}, p99 ${p(hist.p99Ms)} (${String(hist.samples)} samples)`);
    });
    ctx.fillStyle = "#8b96a3";
    first.edgesMs.forEach((edge, i) => {
      ctx.fillText(`≤${String(edge)}`, 10 + i * slot, latencyCanvas.height - 4);
    });
    ctx.fillText("more", 10 + first.edgesMs.length * slot, latencyCanvas.height - 4);
    element("latency-info", HTMLElement).textContent = `capture → publish. ${info.join(" · ")}`;
  }
  var HEAT = Array.from({ length: 256 }, (_, i) => {
    const t = i / 255;
    return [Math.round(255 * Math.min(1, 1.6 * t)), Math.round(255 * Math.max(0, t * t * 1.1 - 0.1)), Math.round(255 * Math.max(0, Math.sin(Math.PI * Math.min(1, t * 1.4)) * 0.8 + 0.08))];
  });
  var EVENT_COLOURS = {
    speech: "#6fcf7f",
    siren: "#e05050",
    horn: "#ffb74d",
    engine: "#9aa5b1",
    footsteps: "#aed581",
    alarm: "#f06292",
    dog_bark: "#a1887f",
    impact: "#ffd54f",
    other: "#b0bec5",
    unknown: "#b0bec5"
  };
  function bearingText(rad) {
    return rad === null ? "no bearing" : `${String(Math.round(rad * 180 / Math.PI))}°`;
  }
  function drawSpectrogram(s) {
    const ctx = context2d(spectrogramCanvas);
    const w = spectrogramCanvas.width;
    const h = spectrogramCanvas.height;
    ctx.fillStyle = "#0b0d10";
    ctx.fillRect(0, 0, w, h);
    const audio = s.audio;
    const spec = spectrogram;
    let lit = 0;
    if (audio !== null && spec !== void 0 && audio.bands > 0 && spec.columns > 0) {
      const bands = audio.bands;
      const capacity = Math.max(spec.columns, 192);
      const picture = ctx.createImageData(capacity, bands);
      const offset = capacity - spec.columns;
      for (let c = 0; c < spec.columns; c++) {
        for (let b = 0; b < bands; b++) {
          const level = spec.data[c * bands + b] ?? 0;
          if (level > 0) lit++;
          const [r, g, bl] = HEAT[level] ?? [0, 0, 0];
          const i = ((bands - 1 - b) * capacity + offset + c) * 4;
          picture.data[i] = r;
          picture.data[i + 1] = g;
          picture.data[i + 2] = bl;
          picture.data[i + 3] = 255;
        }
      }
      const scratch = new OffscreenCanvas(capacity, bands);
      const sctx = scratch.getContext("2d");
      if (sctx !== null) {
        sctx.putImageData(picture, 0, 0);
        ctx.imageSmoothingEnabled = false;
        ctx.drawImage(scratch, 0, 0, w, h - 14);
      }
      const spanUs = capacity * audio.columnUs;
      const startUs = audio.endTimeUs - spanUs;
      const x = (us) => (us - startUs) / spanUs * w;
      ctx.font = "10px sans-serif";
      ctx.fillStyle = "#8b96a3";
      for (let k = 0; k <= 4; k++) ctx.fillText(`${String(Math.round(k * audio.maxHz / 4e3))} kHz`, 2, h - 16 - k * (h - 24) / 4);
      ctx.fillText(`−${(spanUs / 1e6).toFixed(1)} s`, 2, h - 3);
      ctx.fillText("now", w - 22, h - 3);
      let shown = 0;
      const rowEnd = [-1, -1, -1];
      for (const e of audio.events) {
        if (e.offsetUs < startUs) continue;
        const x0 = Math.max(0, x(e.onsetUs));
        const x1 = Math.max(x0 + 2, Math.min(w, x(e.offsetUs)));
        const row = shown % 3;
        const colour = EVENT_COLOURS[e.eventClass] ?? "#b0bec5";
        ctx.fillStyle = colour;
        ctx.fillRect(x0, 4 + row * 14, x1 - x0, 3);
        const label = `${e.eventClass} ${e.score.toFixed(2)} · ${bearingText(e.bearingRad)}`;
        if (x0 > (rowEnd[row] ?? -1)) {
          ctx.fillText(label, x0, 16 + row * 14);
          rowEnd[row] = x0 + ctx.measureText(label).width + 4;
        }
        shown++;
      }
    }
    spectrogramDraws++;
    spectrogramCanvas.dataset.draws = String(spectrogramDraws);
    spectrogramCanvas.dataset.columns = String(spec?.columns ?? 0);
    spectrogramCanvas.dataset.events = String(audio?.events.length ?? 0);
    spectrogramCanvas.dataset.lit = String(lit);
    const levels = audio === null ? "" : ` · voice ${audio.voiceProbability === null ? "—" : audio.voiceProbability.toFixed(2)} · SNR ${audio.snrDb === null ? "—" : `${audio.snrDb.toFixed(0)} dB`}`;
    element("audio-info", HTMLElement).textContent = audio === null ? "no audio yet" : `${audio.sensorId} · 0–${(audio.maxHz / 1e3).toFixed(0)} kHz${levels}`;
  }
  function drawBearings(s) {
    const ctx = context2d(bearingsCanvas);
    const w = bearingsCanvas.width;
    const cx = w / 2;
    const cy = bearingsCanvas.height / 2;
    const r = Math.min(cx, cy) - 16;
    ctx.fillStyle = "#0b0d10";
    ctx.fillRect(0, 0, w, bearingsCanvas.height);
    ctx.strokeStyle = "#232a33";
    ctx.beginPath();
    ctx.arc(cx, cy, r, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.fillStyle = "#5a6470";
    ctx.font = "10px sans-serif";
    ctx.fillText("front", cx - 12, 11);
    ctx.fillText("left", 2, cy + 3);
    let rays = 0;
    const newestUs = s.audio?.endTimeUs ?? 0;
    const labelled = /* @__PURE__ */ new Set();
    for (const e of [...s.audio?.events ?? []].reverse()) {
      if (e.bearingRad === null || newestUs - e.offsetUs > 1e7) continue;
      const px = cx - Math.sin(e.bearingRad) * r;
      const py = cy - Math.cos(e.bearingRad) * r;
      ctx.strokeStyle = EVENT_COLOURS[e.eventClass] ?? "#b0bec5";
      ctx.fillStyle = ctx.strokeStyle;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(cx, cy);
      ctx.lineTo(px, py);
      ctx.stroke();
      if (!labelled.has(e.eventClass)) {
        labelled.add(e.eventClass);
        const label = `${e.eventClass} ${bearingText(e.bearingRad)}`;
        const textX = px < cx ? px + 4 : px - ctx.measureText(label).width - 4;
        ctx.fillText(label, Math.max(2, Math.min(w - 2 - ctx.measureText(label).width, textX)), py + (py < cy ? 12 : -4));
      }
      rays++;
    }
    ctx.lineWidth = 1;
    bearingsCanvas.dataset.rays = String(rays);
  }
  function draw() {
    drawBev();
    drawCamera();
    framesShown++;
    bev.dataset.frames = String(framesShown);
    bev.dataset.points = String(points.length / 3);
    bev.dataset.objects = String(state?.objects?.items.length ?? 0);
    bev.dataset.tracks = String(state?.tracks?.items.length ?? 0);
    bev.dataset.truth = String(state?.truth?.items.length ?? 0);
    camera.dataset.images = String(imagesShown);
    if (state === void 0) return;
    drawHealth(state);
    drawLatency(state);
    drawSpectrogram(state);
    drawBearings(state);
    const frame = state.tracks?.frameId ?? state.objects?.frameId ?? state.lidar?.frameId ?? "";
    element("bev-frame", HTMLElement).textContent = `${frame} · ±${String(RANGE_M)} m · ${String(points.length / 3)} of ${String(state.lidar?.pointCount ?? 0)} points`;
    const cam = state.camera;
    element("camera-info", HTMLElement).textContent = cam === null ? "" : `${cam.sensorId} ${String(cam.width)}×${String(cam.height)} ${cam.encoding}`;
    element("clock", HTMLElement).textContent = new Date(state.serverTimeUs / 1e3).toISOString().slice(11, 23);
  }
  async function onBinary(buffer) {
    const frame = decodeBinaryFrame(buffer);
    if (frame === void 0) return;
    if (frame.kind === BinaryKind.points) {
      points = new Float32Array(buffer, 8, frame.count * 3);
      requestDraw();
    } else if (frame.kind === BinaryKind.cameraJpeg) {
      const bitmap = await createImageBitmap(new Blob([new Uint8Array(buffer, 8, frame.count)], { type: "image/jpeg" }));
      image?.close();
      image = bitmap;
      imagesShown++;
      requestDraw();
    } else if (frame.kind === BinaryKind.spectrogram) {
      spectrogram = { columns: frame.count, data: new Uint8Array(buffer, 8) };
      requestDraw();
    }
  }
  function connect() {
    const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      connection.textContent = "live";
      connection.dataset.state = "open";
    };
    ws.onmessage = (event) => {
      if (typeof event.data === "string") {
        state = JSON.parse(event.data);
        requestDraw();
      } else {
        onBinary(event.data).catch((error) => {
          console.warn("dashboard: unreadable frame", error);
        });
      }
    };
    ws.onclose = () => {
      connection.textContent = "disconnected — retrying";
      connection.dataset.state = "closed";
      setTimeout(connect, 1e3);
    };
  }
  connect();
  requestDraw();
})();
