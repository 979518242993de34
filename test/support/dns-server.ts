/**
 * A tiny authoritative DNS server for tests: UDP on 127.0.0.1, port 0 (read back), answering
 * A and AAAA queries from a zone function that also sees how many times the name/type pair was
 * asked (so an answer can change between lookups: DNS rebinding). Unknown names → NXDOMAIN; a
 * known name without records of the asked type → NOERROR with no answers (NODATA).
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';

export type RecordType = 'A' | 'AAAA';
/** Addresses for (name, type) on its n-th query (1-based), or undefined for NXDOMAIN. */
export type Zone = (name: string, type: RecordType, n: number) => readonly string[] | undefined;

export interface DnsServer {
  readonly address: string; // "127.0.0.1:port"
  /** queries seen, in order: "name A" / "name AAAA" */
  readonly queries: string[];
  close(): Promise<void>;
}

const TYPES: Record<number, RecordType> = { 1: 'A', 28: 'AAAA' };

function ipv6Bytes(address: string): Buffer {
  if (!isIPv6(address)) throw new Error(`not IPv6: ${address}`);
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), i * 2));
  return out;
}

function parseQuestion(msg: Buffer): { name: string; type: number; end: number } | undefined {
  let offset = 12;
  const labels: string[] = [];
  while (offset < msg.length) {
    const len = msg[offset] ?? 0;
    offset += 1;
    if (len === 0) break;
    if (len > 63) return undefined; // no compression in questions
    labels.push(msg.subarray(offset, offset + len).toString('ascii').toLowerCase());
    offset += len;
  }
  if (offset + 4 > msg.length) return undefined;
  return { name: labels.join('.'), type: msg.readUInt16BE(offset), end: offset + 4 };
}

export async function startDnsServer(zone: Zone): Promise<DnsServer> {
  const socket = dgram.createSocket('udp4');
  const queries: string[] = [];
  const counts = new Map<string, number>();
  socket.on('message', (msg, peer) => {
    if (msg.length < 12) return;
    const q = parseQuestion(msg);
    if (q === undefined) return;
    const type = TYPES[q.type];
    const key = `${q.name} ${type ?? q.type}`;
    queries.push(key);
    const n = (counts.get(key) ?? 0) + 1;
    counts.set(key, n);
    const answers = type === undefined ? [] : zone(q.name, type, n);
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0); // id
    header.writeUInt16BE(0x8180 | (answers === undefined ? 3 : 0), 2); // QR RD RA, rcode NXDOMAIN or NOERROR
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers?.length ?? 0, 6);
    const records = (answers ?? []).map((address) => {
      const rdata = type === 'A' ? Buffer.from(address.split('.').map(Number)) : ipv6Bytes(address);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
      rr.writeUInt16BE(q.type, 2);
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(0, 6); // TTL 0: never cached
      rr.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([rr, rdata]);
    });
    socket.send(Buffer.concat([header, msg.subarray(12, q.end), ...records]), peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const { port } = socket.address();
  return {
    address: `127.0.0.1:${port}`,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
