import { DatasetFormatError } from '../errors.js';

/** One UDP datagram of a capture, reassembled when the capture holds IPv4 fragments. */
export interface UdpDatagram {
  /** Capture time of the packet (its last fragment), µs since the Unix epoch. */
  readonly timeUs: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Buffer;
}

const LINK_ETHERNET = 1;
const LINK_RAW = 101;
const LINK_LINUX_SLL = 113;
const LINK_IPV4 = 228;

interface Fragments {
  parts: { offset: number; data: Buffer }[];
  totalBytes: number | undefined;
}

/**
 * Reads a classic libpcap file (microsecond or nanosecond magic, either byte order) and yields the
 * UDP datagrams over IPv4 in capture order. Link types: Ethernet (with 802.1Q tags), raw IP and
 * Linux cooked capture. IPv4 fragments are reassembled by (source, destination, id). Anything else
 * (ARP, IPv6, TCP) is skipped. pcapng is not read.
 */
export function* readPcapUdp(bytes: Buffer, file = 'pcap'): Generator<UdpDatagram> {
  if (bytes.length < 24) throw new DatasetFormatError(`${file}: ${bytes.length} bytes is too short for a pcap header`, { context: { file } });
  const magicLe = bytes.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d) {
    le = true;
    nano = magicLe === 0xa1b23c4d;
  } else if (bytes.readUInt32BE(0) === 0xa1b2c3d4 || bytes.readUInt32BE(0) === 0xa1b23c4d) {
    le = false;
    nano = bytes.readUInt32BE(0) === 0xa1b23c4d;
  } else {
    const hint = magicLe === 0x0a0d0d0a ? ' (this is pcapng: convert it with `editcap -F pcap`)' : '';
    throw new DatasetFormatError(`${file}: not a libpcap file, magic 0x${magicLe.toString(16)}${hint}`, { context: { file } });
  }
  const u32 = (o: number): number => (le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
  const link = u32(20) & 0x0fff_ffff;
  if (link !== LINK_ETHERNET && link !== LINK_RAW && link !== LINK_LINUX_SLL && link !== LINK_IPV4) {
    throw new DatasetFormatError(`${file}: link type ${link} is not read (Ethernet, raw IP or Linux cooked capture)`, { context: { file } });
  }
  const pending = new Map<string, Fragments>();
  let o = 24;
  while (o + 16 <= bytes.length) {
    const sec = u32(o);
    const frac = u32(o + 4);
    const incl = u32(o + 8);
    const orig = u32(o + 12);
    o += 16;
    if (o + incl > bytes.length) return; // the capture was cut inside this packet
    const frame = bytes.subarray(o, o + incl);
    o += incl;
    if (incl < orig) continue; // snapped: the datagram is not whole
    const timeUs = sec * 1_000_000 + (nano ? Math.floor(frac / 1000) : frac);
    let ip: Buffer;
    if (link === LINK_ETHERNET) {
      let p = 12;
      let type = frame.length >= 14 ? frame.readUInt16BE(12) : 0;
      while ((type === 0x8100 || type === 0x88a8) && frame.length >= p + 6) {
        p += 4;
        type = frame.readUInt16BE(p);
      }
      if (type !== 0x0800) continue;
      ip = frame.subarray(p + 2);
    } else if (link === LINK_LINUX_SLL) {
      if (frame.length < 16 || frame.readUInt16BE(14) !== 0x0800) continue;
      ip = frame.subarray(16);
    } else {
      ip = frame;
    }
    if (ip.length < 20 || ((ip[0] ?? 0) >> 4) !== 4 || ip[9] !== 17) continue;
    const ihl = ((ip[0] ?? 0) & 0x0f) * 4;
    const total = Math.min(ip.readUInt16BE(2), ip.length);
    const flags = ip.readUInt16BE(6);
    const more = (flags & 0x2000) !== 0;
    const fragOffset = (flags & 0x1fff) * 8;
    const body = ip.subarray(ihl, total);
    let udp: Buffer;
    if (!more && fragOffset === 0) {
      udp = body;
    } else {
      const id = `${ip.readUInt32BE(12)}-${ip.readUInt32BE(16)}-${ip.readUInt16BE(4)}`;
      const f = pending.get(id) ?? { parts: [], totalBytes: undefined };
      pending.set(id, f);
      f.parts.push({ offset: fragOffset, data: Buffer.from(body) });
      if (!more) f.totalBytes = fragOffset + body.length;
      if (f.totalBytes === undefined) continue;
      const have = f.parts.reduce((s, part) => s + part.data.length, 0);
      if (have < f.totalBytes) continue;
      const whole = Buffer.alloc(f.totalBytes);
      for (const part of f.parts) part.data.copy(whole, part.offset);
      pending.delete(id);
      udp = whole;
    }
    if (udp.length < 8) continue;
    const udpLength = Math.min(udp.readUInt16BE(4), udp.length);
    yield { timeUs, srcPort: udp.readUInt16BE(0), dstPort: udp.readUInt16BE(2), payload: udp.subarray(8, udpLength) };
  }
}
