import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCodec, SchemaRegistry } from '@sensorfuse/codec';
import { lidarScanSchema, type LidarScan } from '@sensorfuse/schemas';
import { MemoryBus } from '@sensorfuse/transport';
import { describe, expect, it } from 'vitest';
import { Recording } from '../reader.js';
import { publishImported, writeImported } from './common.js';
import { datasetRecords } from './datasets.js';
import { ousterRecords } from './ouster.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const ousterDir = path.resolve(repoRoot, '../shared/data/ouster');
const pcapFile = path.join(ousterDir, 'OS-1-64_1024x10_fw20.pcap');
const metaFile = path.join(ousterDir, 'OS-1-64_sensor_config_reduced.json');
const lidarCodec = createCodec<LidarScan>(new SchemaRegistry(), lidarScanSchema);

/**
 * The test's own walk over the capture (independent of the importer's pcap reader): classic pcap,
 * Ethernet + IPv4 + UDP, no fragments in this file. Returns the UDP payloads to port 7502.
 */
function lidarPayloads(file: string): { timeUs: number; payload: Buffer; frame: Buffer }[] {
  const b = fs.readFileSync(file);
  const out: { timeUs: number; payload: Buffer; frame: Buffer }[] = [];
  for (let o = 24; o + 16 <= b.length;) {
    const incl = b.readUInt32LE(o + 8);
    const timeUs = b.readUInt32LE(o) * 1e6 + b.readUInt32LE(o + 4);
    const frame = b.subarray(o + 16, o + 16 + incl);
    o += 16 + incl;
    // 14 B Ethernet, 20 B IPv4 (IHL 5 in this capture), 8 B UDP
    if (frame.readUInt16BE(14 + 20 + 2) === 7502) out.push({ timeUs, payload: frame.subarray(42), frame });
  }
  return out;
}

/** Legacy column: 16 B header (u64 ts, u16 measurement id, u16 frame id, u32 encoder), 64 × 12 B pixels, u32 status. */
const COL = 16 + 64 * 12 + 4;

function pcapFileOf(packets: { timeUs: number; frame: Buffer }[]): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  const parts: Buffer[] = [head];
  for (const p of packets) {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Math.floor(p.timeUs / 1e6), 0);
    rec.writeUInt32LE(p.timeUs % 1e6, 4);
    rec.writeUInt32LE(p.frame.length, 8);
    rec.writeUInt32LE(p.frame.length, 12);
    parts.push(rec, p.frame);
  }
  return Buffer.concat(parts);
}

/** Splits an Ethernet/IPv4 frame into IPv4 fragments of at most 1480 payload bytes. */
function fragment(frame: Buffer): Buffer[] {
  const eth = frame.subarray(0, 14);
  const ip = frame.subarray(14, 34);
  const body = frame.subarray(34);
  const out: Buffer[] = [];
  for (let off = 0; off < body.length; off += 1480) {
    const part = body.subarray(off, Math.min(body.length, off + 1480));
    const h = Buffer.from(ip);
    h.writeUInt16BE(20 + part.length, 2);
    h.writeUInt16BE(0x4242, 4);
    h.writeUInt16BE((off + 1480 < body.length ? 0x2000 : 0) | (off / 8), 6);
    out.push(Buffer.concat([eth, h, part]));
  }
  return out;
}

describe('Ouster importer', () => {
  it('turns the capture into one sweep per complete frame id, with every non-zero range as a point', () => {
    if (!fs.existsSync(pcapFile)) {
      console.warn('skipped: ../shared/data/ouster absent');
      return;
    }
    const packets = lidarPayloads(pcapFile);
    // the test's own count of frame ids, columns and non-zero ranges
    const columnsByFrame = new Map<number, Set<number>>();
    let returns = 0;
    for (const { payload } of packets) {
      for (let c = 0; c < 16; c++) {
        const col = payload.subarray(c * COL, (c + 1) * COL);
        const frameId = col.readUInt16LE(10);
        const set = columnsByFrame.get(frameId) ?? new Set<number>();
        set.add(col.readUInt16LE(8));
        columnsByFrame.set(frameId, set);
        for (let px = 0; px < 64; px++) if ((col.readUInt32LE(16 + px * 12) & 0xfffff) !== 0) returns++;
      }
    }
    const complete = [...columnsByFrame.values()].filter((s) => s.size === 1024).length;
    const records = [...ousterRecords({ pcap: pcapFile, metadata: metaFile })];
    const scans = records.filter((r) => r.topic === 'raw.lidar').map((r) => lidarCodec.decode(r.value));
    expect(records[0]?.topic).toBe('calibration.rig');
    expect(complete).toBe(1); // the sample is one 1024-column sweep (frame 189)
    expect(scans).toHaveLength(complete);
    const scan = scans[0];
    if (!scan) throw new Error('no sweep');
    expect(scan.pointCount).toBe(returns);
    expect(scan.pointStride).toBe(20);
    expect(scan.sweepDurationUs).toBe(100_000); // 1024x10
    expect(scan.captureTimeUs).toBe(packets[0]?.timeUs);
    // plausible ranges: the OS-1 measures up to 120 m; nothing inside the housing radius
    const f = new Float32Array(scan.data.buffer.slice(scan.data.byteOffset, scan.data.byteOffset + scan.data.byteLength));
    let minR = Infinity;
    let maxR = 0;
    for (let i = 0; i < scan.pointCount; i++) {
      const r = Math.hypot(f[i * 5] ?? 0, f[i * 5 + 1] ?? 0, f[i * 5 + 2] ?? 0);
      minR = Math.min(minR, r);
      maxR = Math.max(maxR, r);
    }
    expect(minR).toBeGreaterThan(0.03);
    expect(maxR).toBeLessThan(120);
  });

  it('places pixels where the Ouster range-to-XYZ formula puts them (hand-computed from the beam angles)', () => {
    if (!fs.existsSync(pcapFile)) {
      console.warn('skipped: ../shared/data/ouster absent');
      return;
    }
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as { beam_altitude_angles: number[]; beam_azimuth_angles: number[] };
    const packets = lidarPayloads(pcapFile);
    const scan = [...ousterRecords({ pcap: pcapFile, metadata: metaFile })].filter((r) => r.topic === 'raw.lidar').map((r) => lidarCodec.decode(r.value))[0];
    if (!scan) throw new Error('no sweep');
    const pts = new Float32Array(scan.data.buffer.slice(scan.data.byteOffset, scan.data.byteOffset + scan.data.byteLength));
    // Ouster sensor docs ("lidar range to XYZ"), gen 1 defaults: n = 12.163 mm beam offset,
    // lidar → sensor = 180° about z and +36.18 mm in z. Check the first return of a few columns.
    const n = 12.163;
    let checked = 0;
    for (let measurementId = 0; measurementId < 1024 && checked < 8; measurementId += 61) {
      const packet = packets[Math.floor(measurementId / 16)]?.payload;
      if (!packet) throw new Error('packet missing');
      const col = packet.subarray((measurementId % 16) * COL, (measurementId % 16 + 1) * COL);
      expect(col.readUInt16LE(8)).toBe(measurementId);
      for (let beam = 0; beam < 64; beam++) {
        const rangeMm = col.readUInt32LE(16 + beam * 12) & 0xfffff;
        if (rangeMm === 0) continue;
        const thetaE = 2 * Math.PI * (1 - measurementId / 1024);
        const thetaA = (-2 * Math.PI * (meta.beam_azimuth_angles[beam] ?? NaN)) / 360;
        const phi = (2 * Math.PI * (meta.beam_altitude_angles[beam] ?? NaN)) / 360;
        const xl = (rangeMm - n) * Math.cos(thetaE + thetaA) * Math.cos(phi) + n * Math.cos(thetaE);
        const yl = (rangeMm - n) * Math.sin(thetaE + thetaA) * Math.cos(phi) + n * Math.sin(thetaE);
        const zl = (rangeMm - n) * Math.sin(phi);
        const expected = [-xl / 1000, -yl / 1000, (zl + 36.18) / 1000];
        // the point of this pixel: same ring, nearest (the output has no pixel index)
        let best = Infinity;
        for (let i = 0; i < scan.pointCount; i++) {
          if (pts[i * 5 + 4] !== beam) continue;
          best = Math.min(best, Math.hypot((pts[i * 5] ?? 0) - (expected[0] ?? 0), (pts[i * 5 + 1] ?? 0) - (expected[1] ?? 0), (pts[i * 5 + 2] ?? 0) - (expected[2] ?? 0)));
        }
        expect(best, `column ${measurementId} beam ${beam} range ${rangeMm} mm`).toBeLessThan(0.001);
        checked++;
        break;
      }
    }
    expect(checked).toBe(8); // eight columns spread over the turn
  });

  it('reassembles IPv4 fragments, drops an incomplete frame and imports to MCAP and the Bus', async () => {
    if (!fs.existsSync(pcapFile)) {
      console.warn('skipped: ../shared/data/ouster absent');
      return;
    }
    const packets = lidarPayloads(pcapFile);
    // frame 189 as captured, frame 190 = the same columns fragmented as a 1500-MTU capture would be,
    // frame 191 = only the first 10 packets (160 columns)
    const relabel = (frame: Buffer, frameId: number): Buffer => {
      const copy = Buffer.from(frame);
      for (let c = 0; c < 16; c++) copy.writeUInt16LE(frameId, 42 + c * COL + 10);
      return copy;
    };
    const synthetic: { timeUs: number; frame: Buffer }[] = [];
    for (const p of packets) synthetic.push({ timeUs: p.timeUs, frame: p.frame });
    for (const p of packets) for (const frag of fragment(relabel(p.frame, 190))) synthetic.push({ timeUs: p.timeUs + 100_000, frame: frag });
    for (const p of packets.slice(0, 10)) synthetic.push({ timeUs: p.timeUs + 200_000, frame: relabel(p.frame, 191) });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ouster-'));
    const pcap = path.join(dir, 'three.pcap');
    fs.writeFileSync(pcap, pcapFileOf(synthetic));
    fs.copyFileSync(metaFile, path.join(dir, 'meta.json'));
    const incomplete: [number, number][] = [];
    const records = [...ousterRecords({ pcap, onIncompleteSweep: (frameId, columns) => incomplete.push([frameId, columns]) })];
    const scans = records.filter((r) => r.topic === 'raw.lidar').map((r) => lidarCodec.decode(r.value));
    expect(scans.map((s) => s.seq)).toEqual([0, 1]);
    expect(scans[1]?.data.equals(scans[0]?.data ?? Buffer.alloc(0))).toBe(true);
    expect((scans[1]?.captureTimeUs ?? 0) - (scans[0]?.captureTimeUs ?? 0)).toBe(100_000);
    expect(incomplete).toEqual([[191, 160]]);

    const stats = await writeImported(datasetRecords('ouster', { path: pcap }), { path: path.join(dir, 'ouster.mcap') });
    expect(stats.messages).toBe(3);
    const rec = await Recording.open(stats.files);
    expect(rec.topics()).toEqual(['calibration.rig', 'raw.lidar']);
    let lidar = 0;
    for await (const m of rec.messages({ topics: ['raw.lidar'] })) if (m.value.equals(records[1]?.value ?? Buffer.alloc(0)) || m.value.equals(records[2]?.value ?? Buffer.alloc(0))) lidar++;
    expect(lidar).toBe(2);
    await rec.close();
    const bus = new MemoryBus();
    await bus.admin.createTopics(['calibration.rig', 'raw.lidar'].map((topic) => ({ topic, partitions: 1 })));
    expect(await publishImported(bus, ousterRecords({ pcap }))).toBe(3);
    await bus.close();
    fs.rmSync(dir, { recursive: true });
  });
});
