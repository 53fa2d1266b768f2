import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as foxglove from '@foxglove/schemas/jsonschema.js';
import { McapIndexedReader } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { createCodec, SchemaRegistry } from '@sensorfuse/codec';
import { fusedDetectionsSchema, type FusedDetections } from '@sensorfuse/schemas';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { SchemaCatalog } from './catalog.js';
import { quaternionOf } from './foxglove.js';
import { kittiRecords } from './importers/kitti.js';
import { writeImported } from './importers/common.js';
import { Recording } from './reader.js';
import { RecordingWriter } from './writer.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const kittiDir = path.resolve(repoRoot, '../shared/data/kitti');
const schemas = foxglove as unknown as Record<string, object>;

async function foxgloveMessages(file: string): Promise<{ topic: string; schemaName: string; schemaEncoding: string; json: unknown }[]> {
  const handle = await fs.promises.open(file, 'r');
  const size = BigInt((await handle.stat()).size);
  const reader = await McapIndexedReader.Initialize({
    readable: { size: () => Promise.resolve(size), read: async (o, l) => { const b = Buffer.alloc(Number(l)); await handle.read(b, 0, b.length, Number(o)); return b; } },
    decompressHandlers: await loadDecompressHandlers(),
  });
  const out: { topic: string; schemaName: string; schemaEncoding: string; json: unknown }[] = [];
  for await (const m of reader.readMessages()) {
    const ch = reader.channelsById.get(m.channelId);
    if (ch?.messageEncoding !== 'json') continue;
    const schema = reader.schemasById.get(ch.schemaId);
    out.push({ topic: ch.topic, schemaName: schema?.name ?? '', schemaEncoding: schema?.encoding ?? '', json: JSON.parse(Buffer.from(m.data).toString('utf8')) as unknown });
  }
  await handle.close();
  return out;
}

function validate(schemaName: string, json: unknown): string {
  const short = schemaName.replace(/^foxglove\./, '');
  const schema = schemas[short];
  if (!schema) return `no @foxglove/schemas definition for ${schemaName}`;
  const ajv = new Ajv({ allErrors: true });
  return ajv.validate(schema, json) ? '' : ajv.errorsText();
}

/** Rotates v by the unit quaternion q (q v q*), written out for the test. */
function rotate(q: { x: number; y: number; z: number; w: number }, v: [number, number, number]): [number, number, number] {
  const { x, y, z, w } = q;
  const [a, b, c] = v;
  const ix = w * a + y * c - z * b, iy = w * b + z * a - x * c, iz = w * c + x * b - y * a, iw = -x * a - y * b - z * c;
  return [ix * w + iw * -x + iy * -z - iz * -y, iy * w + iw * -y + iz * -x - ix * -z, iz * w + iw * -z + ix * -y - iy * -x];
}

describe('Foxglove visual channels', () => {
  it('KITTI import with foxglove: "visual" writes point clouds, images, transforms and camera calibration valid against @foxglove/schemas', async () => {
    if (!fs.existsSync(kittiDir)) {
      console.warn('skipped: ../shared/data/kitti absent');
      return;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fox-'));
    const stats = await writeImported(kittiRecords({ dir: kittiDir }), { path: path.join(dir, 'kitti.mcap'), foxglove: 'visual' });
    const [file] = stats.files;
    if (!file) throw new Error('no file');
    const msgs = await foxgloveMessages(file);
    const byTopic = new Map<string, typeof msgs>();
    for (const m of msgs) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    expect([...byTopic.keys()].sort()).toEqual(['/foxglove/cam2/calibration', '/foxglove/cam2/image', '/foxglove/tf', '/foxglove/velodyne']);
    for (const m of msgs) {
      expect(m.schemaEncoding).toBe('jsonschema');
      expect(validate(m.schemaName, m.json), `${m.topic} ${m.schemaName}`).toBe('');
    }
    const clouds = byTopic.get('/foxglove/velodyne') ?? [];
    expect(clouds.map((c) => c.schemaName)).toEqual(['foxglove.PointCloud', 'foxglove.PointCloud']);
    const cloud = clouds[0]?.json as { data: string; point_stride: number; fields: { name: string; type: number }[] };
    expect(Buffer.from(cloud.data, 'base64').equals(fs.readFileSync(path.join(kittiDir, 'velodyne/000000.bin')))).toBe(true);
    expect(cloud.point_stride).toBe(16);
    expect(cloud.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(['x:7', 'y:7', 'z:7', 'intensity:7']); // 7 = FLOAT32
    const image = byTopic.get('/foxglove/cam2/image')?.[0]?.json as { format: string; data: string };
    expect(image.format).toBe('png');
    expect(Buffer.from(image.data, 'base64').equals(fs.readFileSync(path.join(kittiDir, 'image_2/000000.png')))).toBe(true);
    // replay sees only the Bus records
    const rec = await Recording.open(file);
    expect(rec.topics()).toEqual(['calibration.rig', 'raw.camera', 'raw.lidar', 'truth.boxes']);
    let n = 0;
    for await (const m of rec.messages()) { expect(m.topic.startsWith('/foxglove')).toBe(false); n++; }
    expect(n).toBe(8);
    await rec.close();
    fs.rmSync(dir, { recursive: true });
  });

  it('writes fused tracks as a foxglove.SceneUpdate with one cube per track', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fox-'));
    const file = path.join(dir, 'tracks.mcap');
    const codec = createCodec<FusedDetections>(new SchemaRegistry(), fusedDetectionsSchema);
    const w = new RecordingWriter({ path: file, catalog: new SchemaCatalog(), foxglove: 'visual' });
    const detections: FusedDetections = {
      rigId: 'rig', seq: 1, captureTimeUs: 1_700_000_000_250_000, publishTimeUs: 1_700_000_000_260_000, frameId: 'base_link',
      tracks: [
        { trackId: 7, state: 'confirmed', position: { x: 10, y: 2, z: 0.8 }, extent: { x: 4.5, y: 1.9, z: 1.6 }, yawRad: Math.PI / 2, velocity: { x: 1, y: 0, z: 0 }, objectClass: 'car', score: 0.9, contributingModalities: ['lidar', 'camera'], ageUs: 500_000 },
        { trackId: 8, state: 'tentative', position: { x: 5, y: -3, z: 0.9 }, extent: { x: 0.6, y: 0.6, z: 1.7 }, yawRad: 0, velocity: { x: 0, y: 0, z: 0 }, objectClass: 'pedestrian', score: 0.5, contributingModalities: ['lidar'], ageUs: 100_000 },
      ],
      presentModalities: ['lidar', 'camera'], missingModalities: ['audio'],
    };
    await w.add({ topic: 'fused.detections', key: Buffer.from('rig'), headers: {}, value: codec.encode(detections), timestampUs: 0 });
    await w.close();
    const msgs = await foxgloveMessages(file);
    expect(msgs).toHaveLength(1);
    const m = msgs[0];
    expect(m?.schemaName).toBe('foxglove.SceneUpdate');
    expect(validate(m?.schemaName ?? '', m?.json)).toBe('');
    const update = m?.json as { entities: { id: string; timestamp: { sec: number; nsec: number }; cubes: { size: { x: number }; pose: { orientation: { z: number; w: number } } }[] }[] };
    expect(update.entities.map((e) => e.id)).toEqual(['7', '8']);
    expect(update.entities[0]?.timestamp).toEqual({ sec: 1_700_000_000, nsec: 250_000_000 });
    expect(update.entities[0]?.cubes[0]?.size.x).toBe(4.5);
    // yaw 90° about z: q = (0, 0, sin 45°, cos 45°)
    expect(update.entities[0]?.cubes[0]?.pose.orientation.z).toBeCloseTo(Math.SQRT1_2, 12);
    expect(update.entities[0]?.cubes[0]?.pose.orientation.w).toBeCloseTo(Math.SQRT1_2, 12);
    fs.rmSync(dir, { recursive: true });
  });

  it('turns a rotation matrix into the quaternion that rotates vectors the same way', () => {
    // rotation of 30° about x then 50° about z (R = Rz · Rx), written out by hand
    const a = (30 * Math.PI) / 180, b = (50 * Math.PI) / 180;
    const ca = Math.cos(a), sa = Math.sin(a), cb = Math.cos(b), sb = Math.sin(b);
    const R = [cb, -sb * ca, sb * sa, 1, sb, cb * ca, -cb * sa, 2, 0, sa, ca, 3, 0, 0, 0, 1];
    for (const M of [R, [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], [1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1]]) {
      const q = quaternionOf(M);
      for (const v of [[1, 0, 0], [0, 1, 0], [0.3, -0.2, 0.9]] as [number, number, number][]) {
        const expected = [0, 1, 2].map((r) => (M[r * 4] ?? 0) * v[0] + (M[r * 4 + 1] ?? 0) * v[1] + (M[r * 4 + 2] ?? 0) * v[2]);
        rotate(q, v).forEach((x, i) => { expect(x).toBeCloseTo(expected[i] ?? NaN, 12); });
      }
    }
  });
});
