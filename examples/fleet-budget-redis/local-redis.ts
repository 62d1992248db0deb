/**
 * A throwaway Redis for the offline demo: one persistent server, or a three-master Cluster (with replicas) made by
 * `redis-cli --cluster create`. Set REDIS_URL or REDIS_CLUSTER (host:port,host:port…) to use your own instead.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';

const run = promisify(execFile);

export interface LocalRedis {
  /** `redis://…` for one server, or `host:port,host:port,…` for a Cluster (see `connect`). */
  target: string;
  cluster: boolean;
  stop(): void;
}

/** A client for what `startRedis` made (or what the environment names). */
export function connect(target: string, cluster: boolean): Redis | Cluster {
  if (!cluster) return new Redis(target);
  return new Cluster(target.split(',').map((hp) => ({ host: hp.split(':')[0]!, port: Number(hp.split(':')[1]) })));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function ping(port: number, ...args: string[]): Promise<string> {
  try {
    return (await run('redis-cli', ['-p', String(port), ...(args.length ? args : ['PING'])])).stdout.trim();
  } catch {
    return '';
  }
}

async function until(check: () => Promise<boolean>) {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 100));
}

function server(port: number, dir: string, clustered: boolean): ChildProcess {
  // Persistent (AOF), as a shared budget needs: a store that forgets spend on restart is refused.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--dir', dir];
  if (clustered)
    args.push(
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      `nodes-${port}.conf`,
      '--appenddirname',
      `aof-${port}`,
    );
  return spawn('redis-server', args, { stdio: 'ignore' });
}

export async function startRedis(cluster: boolean): Promise<LocalRedis> {
  if (process.env.REDIS_CLUSTER) return { target: process.env.REDIS_CLUSTER, cluster: true, stop: () => {} };
  if (process.env.REDIS_URL && !cluster) return { target: process.env.REDIS_URL, cluster: false, stop: () => {} };
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error(
      'redis-server not found: install it (apt-get install redis-server) or set REDIS_URL / REDIS_CLUSTER',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'vx402-fleet-'));
  const ports = await Promise.all(Array.from({ length: cluster ? 6 : 1 }, freePort));
  const children = ports.map((p) => server(p, dir, cluster));
  const stop = () => {
    for (const c of children) c.kill();
  };
  for (const p of ports) await until(async () => (await ping(p)) === 'PONG');
  if (!cluster) return { target: `redis://127.0.0.1:${ports[0]}`, cluster: false, stop };
  await run('redis-cli', [
    '--cluster',
    'create',
    ...ports.map((p) => `127.0.0.1:${p}`),
    '--cluster-replicas',
    '1',
    '--cluster-yes',
  ]);
  for (const p of ports) await until(async () => (await ping(p, 'CLUSTER', 'INFO')).includes('cluster_state:ok'));
  // The budget trusts a write once a replica has it (WAIT): start once every master has its replica in sync.
  await until(async () => {
    const infos = await Promise.all(ports.map((p) => ping(p, 'INFO', 'replication')));
    const masters = infos.filter((i) => i.includes('role:master'));
    return (
      masters.length === 3 &&
      masters.every((i) => /connected_slaves:[1-9]/.test(i)) &&
      infos.filter((i) => !i.includes('role:master')).every((i) => i.includes('master_link_status:up'))
    );
  });
  return { target: ports.map((p) => `127.0.0.1:${p}`).join(','), cluster: true, stop };
}
