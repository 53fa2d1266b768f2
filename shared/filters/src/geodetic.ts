/**
 * WGS-84 geodetic (latitude, longitude, ellipsoidal height) → ECEF → local East-North-Up frame
 * anchored at a reference point. Exact (no flat-earth approximation), so it stays right kilometres
 * from the anchor.
 */
export const WGS84_A = 6_378_137.0;
export const WGS84_F = 1 / 298.257223563;
export const WGS84_E2 = WGS84_F * (2 - WGS84_F);

const DEG = Math.PI / 180;

/** ECEF metres of a geodetic point, written into out[0..2]. */
export function geodeticToEcef(latDeg: number, lonDeg: number, heightM: number, out: Float64Array): Float64Array {
  const lat = latDeg * DEG;
  const lon = lonDeg * DEG;
  const sinLat = Math.sin(lat);
  const cosLat = Math.cos(lat);
  const n = WGS84_A / Math.sqrt(1 - WGS84_E2 * sinLat * sinLat);
  out[0] = (n + heightM) * cosLat * Math.cos(lon);
  out[1] = (n + heightM) * cosLat * Math.sin(lon);
  out[2] = (n * (1 - WGS84_E2) + heightM) * sinLat;
  return out;
}

/** A local ENU frame anchored at one geodetic point. */
export class EnuFrame {
  readonly latDeg: number;
  readonly lonDeg: number;
  readonly heightM: number;
  private readonly origin = new Float64Array(3);
  private readonly ecef = new Float64Array(3);
  private readonly sinLat: number;
  private readonly cosLat: number;
  private readonly sinLon: number;
  private readonly cosLon: number;

  constructor(latDeg: number, lonDeg: number, heightM: number) {
    this.latDeg = latDeg;
    this.lonDeg = lonDeg;
    this.heightM = heightM;
    geodeticToEcef(latDeg, lonDeg, heightM, this.origin);
    this.sinLat = Math.sin(latDeg * DEG);
    this.cosLat = Math.cos(latDeg * DEG);
    this.sinLon = Math.sin(lonDeg * DEG);
    this.cosLon = Math.cos(lonDeg * DEG);
  }

  /** East, north, up metres of a geodetic point, written into out[0..2]. */
  toEnu(latDeg: number, lonDeg: number, heightM: number, out: Float64Array): Float64Array {
    const e = geodeticToEcef(latDeg, lonDeg, heightM, this.ecef);
    const dx = (e[0] ?? 0) - (this.origin[0] ?? 0);
    const dy = (e[1] ?? 0) - (this.origin[1] ?? 0);
    const dz = (e[2] ?? 0) - (this.origin[2] ?? 0);
    out[0] = -this.sinLon * dx + this.cosLon * dy;
    out[1] = -this.sinLat * this.cosLon * dx - this.sinLat * this.sinLon * dy + this.cosLat * dz;
    out[2] = this.cosLat * this.cosLon * dx + this.cosLat * this.sinLon * dy + this.sinLat * dz;
    return out;
  }
}
