// Raw TCP exchanges for tests that check infrastructure without the client libraries (kafkajs and
// ioredis stay behind shared/transport and shared/state).
import { Socket } from 'node:net';

/** Sends one request and collects bytes until `complete(buffer)` says the reply is whole. */
export function exchange(
  host: string,
  port: number,
  request: Buffer,
  complete: (received: Buffer) => boolean,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let received = Buffer.alloc(0);
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no complete reply from ${host}:${port} within 10 s`)));
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (complete(received)) {
        socket.end();
        resolve(received);
      }
    });
    socket.connect(port, host, () => socket.write(request));
  });
}

/** One RESP command (array of bulk strings) and its reply, as redis.io/docs/reference/protocol-spec. */
export async function redisCommand(url: string, ...args: string[]): Promise<string> {
  const { hostname, port } = new URL(url);
  const request = `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
  const reply = await exchange(hostname, Number(port || 6379), Buffer.from(request), (got) => {
    const text = got.toString('utf8');
    if (text.startsWith('$')) {
      const headerEnd = text.indexOf('\r\n');
      const length = Number(text.slice(1, headerEnd));
      // $-1 is a nil reply: the header is all there is.
      return headerEnd >= 0 && (length < 0 || got.length >= headerEnd + 2 + length + 2);
    }
    return text.endsWith('\r\n');
  });
  return reply.toString('utf8');
}

