/**
 * A loopback TCP proxy that can be cut and restored: a store outage without giving up the port (a stopped server's
 * port may be taken by another test's server before it comes back).
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Drops every open connection and refuses new ones until restored. */
  cut(): void;
  /** From now until cut, what the server answers never reaches the client (a reply lost in flight). */
  dropReplies(): void;
  /** Sends new connections to another port (a restarted server on a fresh port). */
  retarget(port: number): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  let up = true;
  let replies = true;
  let target = targetPort;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    if (!up) return void client.destroy();
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (replies) client.write(chunk);
    });
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    dropReplies() {
      replies = false;
    },
    cut() {
      up = false;
      replies = true;
      for (const s of open) s.destroy();
    },
    restore() {
      up = true;
    },
    retarget(port) {
      target = port;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
