/**
 * The signing thread's program (started by `signing-worker.ts`, never imported by the library's entry): one
 * account that keeps Sign-In-With-X headers signed ahead in the shared ring and signs on request. It builds headers
 * with the same module as the event loop (`sign-in-message.ts`).
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { Hex } from 'viem';
import { eip191Signer } from './hash-signer.js';
import { type RingLayout, startRingProducer } from './header-ring.js';
import { viemAccounts } from './lazy.js';
import { buildSignInHeader, nonceSource, type SignInRequest } from './sign-in-message.js';

/** What the thread is started with (`workerData.signingThread`). The key is never logged or echoed. */
export interface SigningThreadData {
  key: Hex;
  ring: RingLayout;
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
  const account = viemAccounts().privateKeyToAccount(data.key);
  const sign = eip191Signer(data.key, account);
  const nonce = nonceSource();
  const header = (request: SignInRequest, at: number) => buildSignInHeader(account.address, sign, request, nonce(), at);
  const ring = startRingProducer(data.ring, header);
  const answer = (reply: FromThread) => port.postMessage(reply);
  port.on('message', async (request: ToThread) => {
    if ('define' in request) return ring.define(request.define.gen, request.define.request);
    try {
      if ('signIn' in request) {
        const headers: string[] = [];
        for (let i = 0; i < request.count; i++) headers.push(await header(request.signIn, request.at));
        answer({ id: request.id, headers });
      } else answer({ id: request.id, signature: await sign(request.message) });
    } catch (error) {
      answer({ id: request.id, error: String((error as Error)?.message).slice(0, 200) });
    }
  });
  answer({ ready: true });
}

const data = (workerData as { signingThread?: SigningThreadData } | null)?.signingThread;
if (parentPort && data) serve(parentPort, data);
