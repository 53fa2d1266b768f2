import { readFile } from 'node:fs/promises';
import { PoisonRecordError } from '@sensorfuse/errors';
import type { RigCalibration } from '@sensorfuse/schemas';
import type { RegistryVersion, StateStore } from '@sensorfuse/state';
import { resolveCalibration } from './core/calibration.js';
import type { ResolvedCalibration } from './core/types.js';

/** A calibration file or registry entry that is not a list of RigCalibration records. */
export class CalibrationFormatError extends PoisonRecordError {}

/** No calibration of the rig applies at the frame's capture time. */
export class CalibrationMissingError extends PoisonRecordError {}

export interface CalibrationChange {
  readonly rigId: string;
  readonly fromVersion: number | null;
  readonly toVersion: number;
  readonly frameTimeUs: number;
}

export interface CalibrationRegistryOptions {
  /** Called when the version used for a rig changes (the first one included): log and count it. */
  readonly onChange?: (change: CalibrationChange) => void;
}

export function calibrationKey(rigId: string): string {
  return `calibration:${rigId}`;
}

function checkCalibration(value: unknown, where: string): RigCalibration {
  const c = value as Partial<RigCalibration> | null;
  if (c === null || typeof c !== 'object' || typeof c.rigId !== 'string' || typeof c.validFromUs !== 'number' || !Array.isArray(c.sensors)) {
    throw new CalibrationFormatError(`${where}: expected a RigCalibration {rigId, version, validFromUs, sensors[]}, found ${(JSON.stringify(value) as string | undefined)?.slice(0, 120) ?? typeof value}`);
  }
  for (const s of c.sensors as unknown[]) {
    const sensor = s as { sensorId?: unknown; extrinsics?: { transform?: unknown } } | null;
    const transform = sensor?.extrinsics?.transform;
    if (typeof sensor?.sensorId !== 'string' || !Array.isArray(transform) || transform.length !== 16) {
      throw new CalibrationFormatError(`${where}: sensor ${JSON.stringify(sensor?.sensorId)} needs an id and a 16-value extrinsic transform`, { context: { rigId: c.rigId } });
    }
  }
  return c as RigCalibration;
}

/**
 * The rig calibration registry over a StateStore (Redis in deployed mode): an append-only list of
 * versions per rig, each valid from a capture time. `refresh(rigId)` reads the list once (async);
 * `at(rigId, timeUs)` then answers synchronously with the version valid at that time, resolved once
 * per version, and reports every change of the version in use.
 */
export class CalibrationRegistry {
  private readonly versions = new Map<string, RegistryVersion[]>();
  private readonly resolved = new Map<string, ResolvedCalibration>();
  private readonly inUse = new Map<string, number>();
  private changeCount = 0;

  constructor(private readonly store: StateStore, private readonly options: CalibrationRegistryOptions = {}) {}

  /** Appends a calibration as the rig's next version (valid from its validFromUs). */
  async publish(calibration: RigCalibration): Promise<RegistryVersion> {
    checkCalibration(calibration, 'publish');
    const version = await this.store.appendVersion(calibrationKey(calibration.rigId), calibration.validFromUs, new TextEncoder().encode(JSON.stringify(calibration)));
    await this.refresh(calibration.rigId);
    return version;
  }

  /** Loads a JSON file holding one RigCalibration or an array of them, and appends each. */
  async loadFile(path: string): Promise<number> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'));
    } catch (cause: unknown) {
      throw new CalibrationFormatError(`calibration file ${path}: expected JSON`, { cause });
    }
    const list = Array.isArray(parsed) ? parsed : [parsed];
    const calibrations = list.map((c, i) => checkCalibration(c, `${path}[${i}]`));
    for (const c of calibrations) await this.publish(c);
    return calibrations.length;
  }

  async refresh(rigId: string): Promise<void> {
    this.versions.set(rigId, await this.store.listVersions(calibrationKey(rigId)));
  }

  hasLoaded(rigId: string): boolean {
    return this.versions.has(rigId);
  }

  /** Calibration version changes seen so far (all rigs). */
  get changes(): number {
    return this.changeCount;
  }

  /** The version valid at timeUs: greatest validFromUs ≤ timeUs, a later append winning a tie (StateStore.versionAt). */
  at(rigId: string, timeUs: number): ResolvedCalibration {
    const list = this.versions.get(rigId) ?? [];
    let best: RegistryVersion | undefined;
    for (const v of list) {
      if (v.validFromUs <= timeUs && (best === undefined || v.validFromUs >= best.validFromUs)) best = v;
    }
    if (best === undefined) {
      throw new CalibrationMissingError(`no calibration of rig ${rigId} is valid at ${timeUs} µs (${list.length} versions loaded)`, { context: { rigId, timeUs } });
    }
    const key = `${rigId}#${best.version}`;
    let resolved = this.resolved.get(key);
    if (resolved === undefined) {
      const calibration = checkCalibration(JSON.parse(new TextDecoder().decode(best.value)), `registry ${calibrationKey(rigId)} v${best.version}`);
      resolved = resolveCalibration({ ...calibration, version: best.version, validFromUs: best.validFromUs });
      this.resolved.set(key, resolved);
    }
    const previous = this.inUse.get(rigId);
    if (previous !== best.version) {
      this.inUse.set(rigId, best.version);
      this.changeCount++;
      this.options.onChange?.({ rigId, fromVersion: previous ?? null, toVersion: best.version, frameTimeUs: timeUs });
    }
    return resolved;
  }

  /** Camera sensor ids over every loaded version of the rig (the aligner needs one input per camera). */
  cameraIds(rigId: string): string[] {
    const ids = new Set<string>();
    for (const v of this.versions.get(rigId) ?? []) {
      const c = JSON.parse(new TextDecoder().decode(v.value)) as RigCalibration;
      for (const s of c.sensors) if (s.modality === 'camera') ids.add(s.sensorId);
    }
    return [...ids].sort();
  }
}
