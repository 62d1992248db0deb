import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
  /** Stops the server and starts it again over the same data, on a fresh port (returned). */
  restart(): Promise<number>;
  /** SIGSTOP / SIGCONT: the process stops answering (and acknowledging replication) without closing anything. */
  freeze(): void;
  thaw(): void;
}

export function redisServerAvailable(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI === 'true') throw new Error('redis-server is required in CI (apt-get install redis-server)');
    console.warn(
      '\n!!! redis-server not found: Redis store tests are NOT running. Install it: apt-get install redis-server !!!\n',
    );
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a throwaway redis-server on a free loopback port (AOF in a temp folder unless `persistent: false`);
 * with `replicaOf`, a replica of the server on that port (resolves once it has synced).
 */
export async function startRedisServer({
  persistent = true,
  replicaOf,
}: {
  persistent?: boolean;
  replicaOf?: number;
} = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'vx402-redis-'));
  let port = await freePort();
  const extra = replicaOf === undefined ? [] : ['--replicaof', '127.0.0.1', String(replicaOf)];
  let child = await spawnServer(port, dir, persistent, extra);
  if (replicaOf !== undefined) await waitForSync(child);
  const stop = async () => {
    if (child.exitCode !== null) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await done;
  };
  return {
    get port() {
      return port;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    stop,
    async restart() {
      await stop(); // SIGTERM: Redis writes its AOF out before it exits
      port = await freePort(); // a fresh port: the old one may be taken by another test meanwhile
      child = await spawnServer(port, dir, persistent, extra);
      return port;
    },
    freeze: () => child.kill('SIGSTOP'),
    thaw: () => child.kill('SIGCONT'),
  };
}

/** Resolves when a replica's log says its first sync with the master is done. */
function waitForSync(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`replica did not sync: ${out}`)), 10_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes('MASTER <-> REPLICA sync: Finished with success')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
  });
}

async function spawnServer(
  port: number,
  dir: string,
  persistent: boolean,
  extra: string[] = [],
): Promise<ChildProcess> {
  const child: ChildProcess = spawn(
    'redis-server',
    // Persistent, as a budget store must be (AOF in a throwaway folder).
    [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', ''],
      ...['--appendonly', persistent ? 'yes' : 'no', '--dir', dir, ...extra],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  child.stdout!.resume();
  return child;
}
