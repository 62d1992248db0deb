import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-server.js';

const run = promisify(execFile);

/** The user replicas sign in with (the default user stays open for clients): switching it off cuts replication. */
const REPL_USER = 'repl';
const REPL_PASS = 'repl-test-only';

export interface RedisCluster {
  ports: number[];
  /** The port of the master serving a key's slot right now. */
  masterOf(key: string): Promise<number>;
  /** The port of a master's replica. */
  replicaOf(masterPort: number): Promise<number>;
  /** SIGKILL a node: no AOF rewrite, no goodbye to the cluster. */
  kill(port: number): Promise<void>;
  /** Starts a killed node again over its own data and cluster config; a demoted master rejoins as a replica. */
  restart(port: number): Promise<void>;
  /**
   * Cuts a master's replication link and keeps it cut: the master goes on answering writes its replica never
   * gets (what async replication does when the link lags or breaks right before the master dies).
   */
  cutReplication(masterPort: number): Promise<void>;
  /** Lets the replica back in; resolves once it has caught up. */
  restoreReplication(masterPort: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real Redis Cluster on loopback: three masters with one replica each, on free ports, created with
 * `redis-cli --cluster create`. Each node keeps its cluster config in a temp folder; stop() ends them all.
 * `nodeTimeoutMs` is how long a master may be silent before its replica takes over.
 */
export async function startRedisCluster({ nodeTimeoutMs = 15_000 } = {}): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'vx402-cluster-'));
  const ports: number[] = [];
  for (let i = 0; i < 6; i++) ports.push(await freePort());
  const spawnNode = (port: number): ChildProcess =>
    spawn(
      'redis-server',
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'],
        ...['--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', String(nodeTimeoutMs)],
        ...['--dir', dir, '--save', '', '--appendonly', 'yes', '--appenddirname', `aof-${port}`],
        ...['--user', REPL_USER, 'on', `>${REPL_PASS}`, '~*', '&*', '+@all', '--masteruser', REPL_USER],
        ...['--masterauth', REPL_PASS],
      ],
      { stdio: 'ignore' },
    );
  const nodes = new Map(ports.map((port) => [port, spawnNode(port)]));
  const end = (node: ChildProcess, signal: NodeJS.Signals) => {
    if (node.exitCode !== null || node.signalCode !== null) return Promise.resolve();
    const exited = new Promise((r) => node.once('exit', r));
    node.kill(signal);
    return exited.then(() => undefined);
  };
  // A test process that ends early (a timeout, an interrupted run) takes its nodes with it.
  const orphans = () => {
    for (const n of nodes.values()) if (n.exitCode === null && n.signalCode === null) n.kill('SIGKILL');
  };
  process.once('exit', orphans);
  const stop = async () => {
    process.off('exit', orphans);
    await Promise.all([...nodes.values()].map((n) => end(n, 'SIGTERM')));
  };
  try {
    for (const port of ports) await waitFor(async () => (await cli(port, 'PING')) === 'PONG');
    await run('redis-cli', [
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    for (const port of ports)
      await waitFor(async () => (await cli(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'));
    // Every replica has finished its first sync, and every master sees its replica (a WAIT counts on it).
    await waitFor(async () => {
      let masters = 0;
      for (const port of ports) {
        const info = await cli(port, 'INFO', 'replication');
        if (info.includes('role:master')) {
          if (!/connected_slaves:[1-9]/.test(info)) return false;
          masters++;
        } else if (!info.includes('master_link_status:up')) return false;
      }
      return masters === 3;
    });
  } catch (error) {
    await stop();
    throw error;
  }

  const masterOf = async (key: string) => {
    const slot = Number(await cli(ports[0]!, 'CLUSTER', 'KEYSLOT', key));
    for (const port of ports) {
      if (!nodes.get(port) || !(await cli(port, 'ROLE')).startsWith('master')) continue;
      const lines = (await cli(port, 'CLUSTER', 'NODES')).split('\n');
      const me = lines.find((l) => l.includes('myself'));
      const ranges = me?.split(' ').slice(8) ?? [];
      for (const range of ranges) {
        const [from, to = from] = range.split('-').map(Number) as [number, number?];
        if (slot >= from && slot <= to!) return port;
      }
    }
    throw new Error(`no master serves slot ${slot}`);
  };

  return {
    ports,
    masterOf,
    async replicaOf(masterPort) {
      const id = await cli(masterPort, 'CLUSTER', 'MYID');
      for (const port of ports) {
        const me = (await cli(port, 'CLUSTER', 'NODES')).split('\n').find((l) => l.includes('myself'));
        if (me?.split(' ')[3] === id) return port;
      }
      throw new Error(`master ${masterPort} has no replica`);
    },
    async kill(port) {
      await end(nodes.get(port)!, 'SIGKILL');
    },
    async restart(port) {
      nodes.set(port, spawnNode(port));
      await waitFor(async () => (await cli(port, 'PING')) === 'PONG');
    },
    async cutReplication(masterPort) {
      await cli(masterPort, 'ACL', 'SETUSER', REPL_USER, 'off');
      await cli(masterPort, 'CLIENT', 'KILL', 'USER', REPL_USER);
    },
    async restoreReplication(masterPort) {
      await cli(masterPort, 'ACL', 'SETUSER', REPL_USER, 'on');
      await waitFor(async () => Number(await cli(masterPort, 'WAIT', '1', '100')) >= 1);
    },
    stop,
  };
}

/** Runs redis-cli against a node; '' when it does not answer. */
export async function cli(port: number, ...args: string[]): Promise<string> {
  try {
    return (await run('redis-cli', ['-p', String(port), ...args])).stdout.trim();
  } catch {
    return '';
  }
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('Redis Cluster did not reach the expected state');
    await new Promise((r) => setTimeout(r, 100)); // kept real: a real cluster's state changes with no event to await
  }
}
