/**
 * A hostile `/tee/attestation` (our own node:http server) whose answer never ends: the attestation is read within
 * bounds, so a private-model call fails with AttestationError instead of hanging or eating the process's memory.
 */
import { AttestationError, createBudget, createWallet } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { generatePrivateKey } from 'viem/accounts';
import { afterEach, describe, expect, it } from 'vitest';
import { type Hostile, json, startHostile } from './hostile-server.js';

const servers: Hostile[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function attestationThat(send: (res: import('node:http').ServerResponse) => void) {
  const server = await startHostile((req, res) => {
    if (req.url?.startsWith('/api/v1/models')) return json(res, 200, { data: [] });
    if (req.url?.startsWith('/api/v1/tee/attestation')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"verified":true,"padding":"');
      return send(res);
    }
    json(res, 404, { error: 'Not found' });
  });
  servers.push(server);
  const baseURL = `${server.url}/api/v1`;
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
  const fetch = createX402Fetch({ wallet, budget: createBudget(), baseURL, maxRetries: 0, timeoutMs: 200 });
  const call = () =>
    fetch(`${baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'e2ee-glm-5', messages: [{ role: 'user', content: 'secret' }], max_tokens: 5 }),
    }).catch((e) => e);
  return { server, call };
}

describe('an attestation answer that never ends', () => {
  it('one that stops sending is cut (idle bound ≤ timeoutMs): AttestationError, the prompt never sent', async () => {
    const { server, call } = await attestationThat(() => {});
    const error = await call();
    expect(error).toBeInstanceOf(AttestationError);
    expect(error.message).toMatch(/sent nothing for 200 ms/);
    expect(server.seen.some((s) => s.url.endsWith('/chat/completions'))).toBe(false);
  });

  it('one that streams forever is refused past 4 MiB, not read into memory', async () => {
    const { call } = await attestationThat((res) => {
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const before = process.memoryUsage().rss;
    const error = await call();
    expect(error).toBeInstanceOf(AttestationError);
    expect(error.message).toMatch(/larger than 4194304 bytes/);
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  });
});
