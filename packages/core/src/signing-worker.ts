import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Hex } from 'viem';

const require = createRequire(import.meta.url);

/**
 * The thread's program: one viem account, signing EIP-191 messages on request. CommonJS so it runs the
 * same from sources (tests) and from the build; viem is required by the path the main thread resolved.
 */
const PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const { privateKeyToAccount } = require(workerData.accounts);
const account = privateKeyToAccount(workerData.key);
parentPort.on('message', ({ id, message }) => {
  account.signMessage({ message }).then(
    (signature) => parentPort.postMessage({ id, signature }),
    (error) => parentPort.postMessage({ id, error: String(error && error.message).slice(0, 200) }),
  );
});
`;

export interface WorkerSigner {
  /** Signs an EIP-191 message off the main thread. Rejects when the thread is unavailable. */
  signMessage(message: string): Promise<Hex>;
  close(): Promise<void>;
}

/**
 * Secp256k1 signing in a worker thread, so the event loop of a busy agent only posts a message and receives
 * a signature (~0.4 ms of curve math per Sign-In-With-X moves off it). The thread starts on first use, holds
 * a reference only while a signature is pending (it never keeps a process alive), and is restarted after a
 * crash. The key reaches the thread once, as workerData; it is never logged or serialised.
 */
export function createWorkerSigner(privateKey: Hex): WorkerSigner {
  let worker: Worker | undefined;
  let seq = 0;
  const pending = new Map<number, { resolve: (s: Hex) => void; reject: (e: Error) => void }>();

  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  function start(): Worker {
    const w = new Worker(PROGRAM, {
      eval: true,
      workerData: { key: privateKey, accounts: require.resolve('viem/accounts') },
      stdout: false,
      stderr: true,
    });
    w.unref();
    w.on('message', ({ id, signature, error }: { id: number; signature?: Hex; error?: string }) => {
      const p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      if (pending.size === 0) w.unref();
      if (signature) p.resolve(signature);
      else p.reject(new Error(`Signing thread refused: ${error ?? 'unknown'}`));
    });
    const gone = (why: string) => {
      if (worker === w) worker = undefined; // the next signature starts a fresh thread
      failAll(new Error(`Signing thread ${why}`));
    };
    w.on('error', () => gone('failed'));
    w.on('exit', () => gone('exited'));
    return w;
  }

  return {
    signMessage(message) {
      return new Promise<Hex>((resolve, reject) => {
        const w = (worker ??= start());
        const id = ++seq;
        pending.set(id, { resolve, reject });
        w.ref(); // a pending signature keeps the process alive, as any I/O would
        w.postMessage({ id, message });
      });
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
    },
  };
}
