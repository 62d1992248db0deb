/**
 * The signing thread's program (started by `signing-worker.ts`, never imported by the library's entry): one
 * account that keeps Sign-In-With-X headers signed ahead in the shared ring and signs on request. It builds headers
 * with the same module as the event loop (`sign-in-message.ts`).
 */
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { Address, Hex } from 'viem';
import { eip191Signer } from './hash-signer.js';
import { createRingProducer, type RingLayout } from './header-ring.js';
import { lazy, viemAccounts } from './lazy.js';
import { guardNativeCalls } from './secp256k1.js';
import { buildSignInHeader, nonceSource, type SignInRequest } from './sign-in-message.js';
import { stopGuard } from './thread-stop.js';

/** What the thread is started with (`workerData.signingThread`). The key is never logged or echoed. */
export interface SigningThreadData {
  key: Hex;
  /** The key's address (public), so the thread need not load viem's accounts to learn it. */
  address?: Address;
  ring: RingLayout;
  /** The stop handshake's flags (`thread-stop.ts`): no native call may run while the thread is ended. */
  stop: SharedArrayBuffer;
}

/** Requests to the thread. */
export type ToThread =
  | { define: { gen: number; request: SignInRequest } }
  | { id: number; message: string }
  | { id: number; signIn: SignInRequest; count: number; at: number };

/** Answers from the thread; `ready` once, when it can sign. */
export type FromThread =
  | { ready: true }
  | { id: number; signature: Hex }
  | { id: number; headers: string[] }
  | { id: number; error: string };

function serve(port: MessagePort, data: SigningThreadData) {
  guardNativeCalls(stopGuard(data.stop));
  // viem's accounts load only where libsecp256k1 is missing (or for a signature it cannot express).
  const account = lazy(() => viemAccounts().privateKeyToAccount(data.key));
  const address = data.address ?? account().address;
  const sign = eip191Signer(data.key, account);
  const nonce = nonceSource();
  const header = (request: SignInRequest, at: number) => buildSignInHeader(address, sign, request, nonce(), at);
  const producer = createRingProducer(data.ring, header);
  const answer = (reply: FromThread) => port.postMessage(reply);
  async function handle(request: ToThread) {
    if ('define' in request) return producer.define(request.define.gen, request.define.request);
    try {
      if ('signIn' in request) {
        const headers: string[] = [];
        for (let i = 0; i < request.count; i++) headers.push(await header(request.signIn, request.at));
        answer({ id: request.id, headers });
      } else answer({ id: request.id, signature: await sign(request.message) });
    } catch (error) {
      answer({ id: request.id, error: String((error as Error)?.message).slice(0, 200) });
    }
  }
  answer({ ready: true });
  // The thread's whole life: requests first (they are waited for), then one header ahead at a time, then sleep
  // until the event loop rings. It never returns to its own event loop, so the event loop posts and then rings.
  (async () => {
    for (;;) {
      const bell = producer.bell();
      let worked = false;
      for (let m = receiveMessageOnPort(port); m; m = receiveMessageOnPort(port)) {
        await handle(m.message as ToThread);
        worked = true;
      }
      if ((await producer.signOne()) || worked) continue;
      producer.waitForBell(bell);
    }
  })();
}

const data = (workerData as { signingThread?: SigningThreadData } | null)?.signingThread;
if (parentPort && data) serve(parentPort, data);
