import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Hex } from 'viem';
import { HASH_SIGNER_PROGRAM, libsecp256k1Path } from './hash-signer.js';
import { createHeaderRing, type HeaderRing, RING_PRODUCER } from './header-ring.js';

const require = createRequire(import.meta.url);

/**
 * The thread's program: one account that keeps Sign-In-With-X headers signed ahead in the shared ring and signs
 * EIP-191 messages on request (libsecp256k1 when installed, else viem). CommonJS so it runs the same from sources
 * (tests) and from the build; its libraries are required by the paths the main thread resolved.
 */
const PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const { randomBytes } = require('node:crypto');
const { privateKeyToAccount } = require(workerData.accounts);
const { createSiweMessage } = require(workerData.siwe);
const { hashMessage } = require(workerData.viem);
const account = privateKeyToAccount(workerData.key);
${HASH_SIGNER_PROGRAM}
const signHash = hashSigner(workerData.secp, workerData.key);
const sign = async (message) =>
  (signHash && signHash(eip191Hash(message) || hashMessage(message))) || account.signMessage({ message });
// Nonces from a pooled random buffer: one trip to the system's generator per 64 headers, not per header.
let nonces = Buffer.alloc(0);
let nonceAt = 0;
const nonce = () => {
  if (nonceAt + 8 > nonces.length) (nonces = randomBytes(512)), (nonceAt = 0);
  return nonces.toString('hex', nonceAt, (nonceAt += 8));
};
async function header(r, at = Date.now()) {
  const issuedAt = new Date(at);
  const message = createSiweMessage({
    address: account.address, chainId: r.chainId, domain: r.domain, uri: r.uri, version: '1',
    nonce: nonce(), issuedAt,
    expirationTime: new Date(issuedAt.getTime() + r.ttlSeconds * 1000), statement: r.statement,
  });
  const signature = await sign(message);
  const json = JSON.stringify({ address: account.address, message, signature, timestamp: issuedAt.getTime(), chainId: r.chainId });
  return Buffer.from(json, 'utf8').toString('base64');
}
${RING_PRODUCER}
const ring = startRing(workerData.ring, header);
parentPort.on('message', async ({ id, message, signIn, count, define }) => {
  if (define) return ring.define(define.gen, define.request);
  try {
    if (signIn) {
      const headers = [];
      for (let i = 0; i < count; i++) headers.push(await header(signIn));
      parentPort.postMessage({ id, headers });
    } else parentPort.postMessage({ id, signature: await sign(message) });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message).slice(0, 200) });
  }
});
`;

/** What a Sign-In-With-X header says besides its nonce and times (see `siwx.ts`). */
export interface SignInRequest {
  chainId: number;
  domain: string;
  uri: string;
  statement: string;
  ttlSeconds: number;
}

export interface WorkerSigner {
  /** Signs an EIP-191 message off the main thread. Rejects when the thread is unavailable. */
  signMessage(message: string): Promise<Hex>;
  /**
   * `count` finished Sign-In-With-X header values, built, signed and encoded in the thread: the event loop only
   * receives strings (one message for the batch).
   */
  signInHeaders(request: SignInRequest, count: number): Promise<string[]>;
  /**
   * A header signed ahead by the thread, taken from shared memory without a message; undefined when none is
   * ready (the thread then signs `target` ahead for these parameters). Headers older than `maxAgeMs` are dropped.
   */
  takeSignInHeader(request: SignInRequest, options: { target: number; maxAgeMs: number }): string | undefined;
  close(): Promise<void>;
}

/**
 * Secp256k1 signing in a worker thread, so the curve math of every Sign-In-With-X (0.13–0.43 ms) stays off a busy
 * agent's event loop, which takes finished headers from shared memory. The thread starts on first use, holds a
 * reference only while a signature is pending (it never keeps a process alive), and is restarted after a crash.
 * The key reaches the thread once, as workerData; it is never logged or serialised.
 */
export function createWorkerSigner(privateKey: Hex): WorkerSigner {
  let worker: Worker | undefined;
  let ring: HeaderRing | undefined;
  let wanted: { request: SignInRequest; key: string; gen: number } | undefined;
  let gen = 0;
  let seq = 0;
  const pending = new Map<number, { resolve: (s: any) => void; reject: (e: Error) => void }>();

  const failAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };

  function start(): Worker {
    const fresh = createHeaderRing();
    ring = fresh;
    wanted = undefined;
    const w = new Worker(PROGRAM, {
      eval: true,
      workerData: {
        key: privateKey,
        accounts: require.resolve('viem/accounts'),
        siwe: require.resolve('viem/siwe'),
        viem: require.resolve('viem'),
        secp: libsecp256k1Path(),
        ring: fresh.layout,
      },
      stdout: false,
      stderr: true,
    });
    w.unref();
    w.on(
      'message',
      ({ id, signature, headers, error }: { id: number; signature?: Hex; headers?: string[]; error?: string }) => {
        const p = pending.get(id);
        if (!p) return;
        pending.delete(id);
        if (pending.size === 0) w.unref();
        if (signature || headers) p.resolve(signature ?? headers);
        else p.reject(new Error(`Signing thread refused: ${error ?? 'unknown'}`));
      },
    );
    const gone = (why: string) => {
      if (worker === w) worker = undefined; // the next signature starts a fresh thread
      failAll(new Error(`Signing thread ${why}`));
    };
    w.on('error', () => gone('failed'));
    w.on('exit', () => gone('exited'));
    return w;
  }

  function ask<T>(request: Record<string, unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w = (worker ??= start());
      const id = ++seq;
      pending.set(id, { resolve, reject });
      w.ref(); // a pending signature keeps the process alive, as any I/O would
      w.postMessage({ id, ...request });
    });
  }

  return {
    signMessage: (message) => ask<Hex>({ message }),
    signInHeaders: (signIn, count) => ask<string[]>({ signIn, count }),
    takeSignInHeader(request, { target, maxAgeMs }) {
      const w = (worker ??= start());
      if (wanted?.request !== request) {
        const key = JSON.stringify(request);
        if (wanted?.key === key) wanted.request = request;
        else {
          wanted = { request, key, gen: ++gen };
          w.postMessage({ define: { gen, request } });
          ring!.want(gen, target);
          return undefined;
        }
      }
      return ring!.take(wanted.gen, maxAgeMs);
    },
    async close() {
      const w = worker;
      worker = undefined;
      ring = undefined;
      if (w) await w.terminate();
    },
  };
}
