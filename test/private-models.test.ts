/**
 * Private models (issue 27 item 3): `tee-*` attested before the first prompt, `e2ee-*` prompts sealed to the attested
 * key and answers opened, failing closed. Real parts only: the simulator (its TEST key and SYNTHETIC quote), real
 * wallets and budgets, and small hostile node:http servers that forward to the simulator and tamper.
 */
import type { IncomingMessage } from 'node:http';
import { AttestationError, createBudget, createWallet, E2EEError, newKeyPair, type Wallet } from '@venice-x402/core';
import { createX402Fetch, outcomeOf } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import OpenAI from 'openai';
import { getAddress, keccak256 } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { chatAnswer, type Hostile, json, startHostile } from './reliability/adversarial/hostile-server.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.stop());
afterEach(() => sim.setFaults([]));

const servers: Hostile[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const usd = (micros: bigint) => Number(micros) / 1e6;
const SECRET = 'my secret diagnosis';

function newWallet(baseURL = sim.baseURL): Wallet {
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL, signIn: { domain: 'api.venice.ai' } });
  sim.credit(wallet.address, 5);
  return wallet;
}

const chat = (model: string, extra: Record<string, unknown> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model, messages: [{ role: 'user', content: SECRET }], max_tokens: 16, ...extra }),
});

/** Reads an SSE body to its end: the text of every content delta. */
async function streamedText(response: Response): Promise<string> {
  let text = '';
  const body = await response.text();
  for (const line of body.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
    text += JSON.parse(line.slice(6)).choices?.[0]?.delta?.content ?? '';
  }
  return text;
}

/**
 * A proxy in front of the simulator that records what crossed the wire and may rewrite the chat answer (the
 * simulator still decrypts, answers and bills for real). A stream is relayed frame by frame; after a frame it
 * rewrote, the proxy sends nothing more until the client hangs up.
 */
async function proxy(tamper?: (body: string) => string) {
  const server = await startHostile(async (req: IncomingMessage, res, seen) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers))
      if (!['host', 'connection', 'content-length'].includes(name) && value !== undefined)
        headers.set(name, String(value));
    const answer = await fetch(`${sim.url}${req.url}`, {
      method: req.method,
      headers,
      body: seen.body || undefined,
    });
    const body = await answer.text();
    const out: Record<string, string> = {};
    for (const [name, value] of answer.headers)
      if (!['content-length', 'transfer-encoding'].includes(name)) out[name] = value;
    res.writeHead(answer.status, out);
    if (!tamper || !req.url?.endsWith('/chat/completions') || !answer.ok) return void res.end(body);
    if (!answer.headers.get('content-type')?.includes('event-stream')) return void res.end(tamper(body));
    for (const frame of body.split(/(?<=\n\n)/)) {
      const changed = tamper(frame);
      res.write(changed);
      if (changed !== frame) return void (await new Promise((r) => res.once('close', r)));
    }
    res.end();
  });
  servers.push(server);
  return server;
}

describe('e2ee-* through the paid fetch', () => {
  it('JSON: the prompt leaves encrypted, the answer comes back decrypted, billed as the simulator charged', async () => {
    const relay = await proxy();
    const baseURL = `${relay.url}/api/v1`;
    const wallet = newWallet(baseURL);
    const budget = createBudget({ limits: { dailyUsd: 1 } });
    const paid = createX402Fetch({ wallet, budget, baseURL });
    const response = await paid(`${baseURL}/chat/completions`, chat('e2ee-glm-5'));
    expect(response.status).toBe(200);
    const answer = await response.json();
    expect(answer.choices[0].message.content).toMatch(/^Simulated reply to "my secret diagnosis"/);
    // Nothing of the prompt crossed the wire in clear; the keys went in the headers Venice reads.
    const sent = relay.seen.find((s) => s.url.endsWith('/chat/completions'))!;
    expect(sent.body).not.toContain('secret');
    expect(JSON.parse(sent.body).venice_parameters).toEqual({ enable_e2ee: true });
    expect(sent.headers['x-venice-tee-client-pub-key']).toMatch(/^04[0-9a-f]{128}$/);
    expect(sent.headers['x-venice-tee-signing-algo']).toBe('ecdsa');
    const attested = relay.seen.find((s) => s.url.includes('/tee/attestation'))!;
    expect(attested.url).toMatch(/model=e2ee-glm-5&nonce=[0-9a-f]{64}$/);
    expect(attested.headers['x-sign-in-with-x'] ?? attested.headers['sign-in-with-x']).toBeTruthy();
    // Billed and counted exactly as a plain model.
    const outcome = (await outcomeOf(response))!;
    expect(outcome.status).toBe('charged');
    expect(outcome.costUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
    expect((await budget.report()).totalUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
    expect(outcome.tee).toMatchObject({
      model: 'e2ee-glm-5',
      provider: 'venice-x402-simulator',
      e2ee: true,
      nonce: attested.url.split('nonce=')[1],
    });
    expect(outcome.tee?.signingAddress).toMatch(/^0x[0-9a-fA-F]{40}$/);
  });

  it('SSE: decrypted chunk by chunk, the cost from the final frame', async () => {
    const wallet = newWallet();
    const budget = createBudget({ limits: { dailyUsd: 1 } });
    const paid = createX402Fetch({ wallet, budget });
    const response = await paid(`${sim.baseURL}/chat/completions`, chat('e2ee-glm-5', { stream: true }));
    expect(await streamedText(response)).toMatch(/^Simulated reply to "my secret diagnosis"/);
    const outcome = (await outcomeOf(response))!;
    expect(outcome.status).toBe('charged');
    expect(outcome.costUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
    expect(outcome.tee?.e2ee).toBe(true);
  });

  it('tee-*: attested, sent as is, what was verified is in the outcome', async () => {
    const wallet = newWallet();
    const paid = createX402Fetch({ wallet });
    const response = await paid(`${sim.baseURL}/chat/completions`, chat('tee-qwen3-4b'));
    expect((await response.json()).choices[0].message.content).toMatch(/my secret diagnosis/);
    expect((await outcomeOf(response))!.tee).toMatchObject({ model: 'tee-qwen3-4b', e2ee: false });
  });

  it('one attestation per model for 5 minutes, shared by concurrent calls; then asked again', async () => {
    const clock = new ManualClock();
    const paid = createX402Fetch({ wallet: newWallet(), clock });
    const before = sim.stats.byRoute['/tee/attestation'] ?? 0;
    const attestations = () => (sim.stats.byRoute['/tee/attestation'] ?? 0) - before;
    const all = await Promise.all([1, 2, 3].map(() => paid(`${sim.baseURL}/chat/completions`, chat('e2ee-glm-5'))));
    await Promise.all(all.map((r) => r.json()));
    expect(attestations()).toBe(1);
    clock.advance(4 * 60_000);
    await (await paid(`${sim.baseURL}/chat/completions`, chat('e2ee-glm-5'))).json();
    expect(attestations()).toBe(1);
    clock.advance(60_000);
    await (await paid(`${sim.baseURL}/chat/completions`, chat('e2ee-glm-5'))).json();
    expect(attestations()).toBe(2);
  });

  it('e2ee_attestation_stale: re-attests and re-sends once; billed once', async () => {
    const wallet = newWallet();
    const budget = createBudget();
    const paid = createX402Fetch({ wallet, budget });
    await (await paid(`${sim.baseURL}/chat/completions`, chat('e2ee-glm-5'))).json(); // attested, cached
    sim.setFaults([{ kind: 'stale_attestation', route: '/chat/completions', count: 1 }]);
    const response = await paid(`${sim.baseURL}/chat/completions`, chat('e2ee-glm-5'));
    expect((await response.json()).choices[0].message.content).toMatch(/my secret diagnosis/);
    expect(sim.ledger.chargesByRequest(wallet.address).size).toBe(2);
    expect((await budget.report()).totalUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
  });

  it('a request E2EE cannot carry privately is refused before anything is sent', async () => {
    const relay = await proxy();
    const baseURL = `${relay.url}/api/v1`;
    const budget = createBudget();
    const paid = createX402Fetch({ wallet: newWallet(baseURL), budget, baseURL });
    const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } };
    for (const body of [
      { messages: [{ role: 'user', content: [{ type: 'text', text: SECRET }, image] }] },
      { messages: [{ role: 'user', content: SECRET }], tools: [{ type: 'function', function: { name: 'f' } }] },
    ]) {
      const error = await paid(`${baseURL}/chat/completions`, chat('e2ee-glm-5', body)).catch((e) => e);
      expect(error).toBeInstanceOf(E2EEError);
      expect(error.reason).toBe('unsupported');
    }
    expect(relay.seen.filter((s) => s.url.endsWith('/chat/completions'))).toHaveLength(0);
    expect((await budget.report()).totalUsd).toBe(0);
  });
});

describe('a bad attestation is refused, nothing is sent to the model, nothing is held', () => {
  for (const [bad, reason] of [
    ['nonce', 'nonce'],
    ['debug', 'debug'],
    ['address', 'address'],
    ['unbound_key', 'address'],
  ] as const) {
    it(`${bad} → AttestationError (${reason})`, async () => {
      sim.setFaults([{ kind: 'bad_attestation', route: '/tee/attestation', attestation: bad }]);
      const wallet = newWallet();
      const budget = createBudget();
      const paid = createX402Fetch({ wallet, budget });
      const before = sim.stats.byRoute['/chat/completions'] ?? 0;
      for (const model of ['e2ee-glm-5', 'tee-qwen3-4b']) {
        const error = await paid(`${sim.baseURL}/chat/completions`, chat(model)).catch((e) => e);
        expect(error).toBeInstanceOf(AttestationError);
        expect(error.reason).toBe(reason);
        expect(error.details.model).toBe(model);
      }
      expect(sim.stats.byRoute['/chat/completions'] ?? 0).toBe(before);
      expect(sim.ledger.totalCharged(wallet.address)).toBe(0n);
      const report = await budget.report();
      expect(report.totalUsd).toBe(0);
      // A failed attestation is not cached: the next call asks again and, served a good one, goes through.
      sim.setFaults([]);
      const ok = await paid(`${sim.baseURL}/chat/completions`, chat('e2ee-glm-5'));
      expect((await ok.json()).choices[0].message.content).toMatch(/my secret diagnosis/);
    });
  }
});

describe('hostile answers to an encrypted request fail closed', () => {
  const sealed = /"content":"(04[0-9a-f]+)"/g;
  const cases: [string, (hex: string) => string, E2EEError['reason']][] = [
    ['plaintext', () => 'a plaintext answer', 'plaintext'],
    ['garbage hex', (hex) => 'ab'.repeat(hex.length / 2), 'undecryptable'],
    ['truncated ciphertext', (hex) => hex.slice(0, hex.length - 8), 'undecryptable'],
    ['too short to be sealed', (hex) => hex.slice(0, 120), 'plaintext'],
  ];
  for (const [name, rewrite, reason] of cases) {
    it(`JSON, ${name}: E2EEError, the content never handed over, the call committed at its cost`, async () => {
      const relay = await proxy((body) => body.replace(sealed, (_, hex) => `"content":"${rewrite(hex)}"`));
      const baseURL = `${relay.url}/api/v1`;
      const wallet = newWallet(baseURL);
      const budget = createBudget();
      const paid = createX402Fetch({ wallet, budget, baseURL });
      const error = await paid(`${baseURL}/chat/completions`, chat('e2ee-glm-5')).catch((e) => e);
      expect(error).toBeInstanceOf(E2EEError);
      expect(error.reason).toBe(reason);
      expect(JSON.stringify(error)).not.toMatch(/plaintext answer|abab/);
      // The server answered 200 and billed it: the budget counts exactly that.
      expect((await budget.report()).totalUsd).toBeCloseTo(usd(sim.ledger.totalCharged(wallet.address)), 9);
      expect(sim.ledger.totalCharged(wallet.address)).toBeGreaterThan(0n);
    });

    it(`SSE, ${name}: the stream errors with E2EEError before that chunk, the hold stays counted (ambiguous)`, async () => {
      let n = 0;
      const relay = await proxy((frame) =>
        frame.replace(sealed, (all, hex) => (n++ === 1 ? `"content":"${rewrite(hex)}"` : all)),
      );
      const baseURL = `${relay.url}/api/v1`;
      const wallet = newWallet(baseURL);
      const budget = createBudget();
      const paid = createX402Fetch({ wallet, budget, baseURL });
      const response = await paid(`${baseURL}/chat/completions`, chat('e2ee-glm-5', { stream: true }));
      const { error, seen } = await readUntilError(response);
      expect(error).toBeInstanceOf(E2EEError);
      expect(error.reason).toBe(reason);
      expect(seen).not.toMatch(/plaintext answer|abab/);
      const outcome = (await outcomeOf(response))!;
      expect(outcome.status).toBe('ambiguous');
      expect((await budget.report()).totalUsd).toBeGreaterThan(0);
    });
  }
});

describe('plaintext beside the sealed content fails closed (the AI SDK reads `reasoning` and `refusal` as text)', () => {
  const sealed = /"content":"(04[0-9a-f]+)"/;
  for (const [field, value] of [
    ['reasoning', '"injected plaintext"'],
    ['refusal', '"injected plaintext"'],
    ['function_call', '{"name":"injected","arguments":"{}"}'],
    ['audio', '{"transcript":"injected plaintext"}'],
  ] as const) {
    it(`JSON with a plaintext ${field}: E2EEError, nothing handed over`, async () => {
      const relay = await proxy((body) => body.replace(sealed, (all) => `${all},"${field}":${value}`));
      const baseURL = `${relay.url}/api/v1`;
      const paid = createX402Fetch({ wallet: newWallet(baseURL), budget: createBudget(), baseURL });
      const error = await paid(`${baseURL}/chat/completions`, chat('e2ee-glm-5')).catch((e) => e);
      expect(error).toBeInstanceOf(E2EEError);
      expect(error.reason).toBe('plaintext');
      expect(error.message).toContain(field);
    });

    it(`SSE with a plaintext ${field} in a delta: the stream errors before that chunk`, async () => {
      let n = 0;
      const relay = await proxy((frame) =>
        frame.replace(sealed, (all) => (n++ === 1 ? `${all},"${field}":${value}` : all)),
      );
      const baseURL = `${relay.url}/api/v1`;
      const paid = createX402Fetch({ wallet: newWallet(baseURL), budget: createBudget(), baseURL });
      const response = await paid(`${baseURL}/chat/completions`, chat('e2ee-glm-5', { stream: true }));
      const error = await response.text().catch((e) => e);
      expect(error).toBeInstanceOf(E2EEError);
      expect(error.reason).toBe('plaintext');
    });
  }
});

describe('an SSE line that never ends', () => {
  it('is refused past 1 MiB instead of being held back in memory while the server keeps sending', async () => {
    let n = 0;
    const relay = await proxy((frame) =>
      frame.startsWith('data: {') && n++ === 1
        ? `data: {"choices":[{"delta":{"content":"${'a'.repeat(2 << 20)}`
        : frame,
    );
    const baseURL = `${relay.url}/api/v1`;
    const paid = createX402Fetch({ wallet: newWallet(baseURL), budget: createBudget(), baseURL });
    const response = await paid(`${baseURL}/chat/completions`, chat('e2ee-glm-5', { stream: true }));
    const error = await response.text().catch((e) => e);
    expect(error).toBeInstanceOf(E2EEError);
    expect(error.message).toMatch(/over 1 MiB/);
  });
});

describe('SSE frames the decrypting reader must not mistake for something else', () => {
  for (const [name, content, end] of [
    ['ended by CR alone (as the SSE format allows, and SDK parsers read)', 'injected plaintext', '\r\r'],
    ['holding a raw U+2028 in its JSON (valid JSON, not a line end for SSE)', 'injected\u2028plaintext', '\n\n'],
  ]) {
    it(`a plaintext frame ${name} is refused like any other, never handed over`, async () => {
      let n = 0;
      const relay = await proxy((frame) =>
        frame.startsWith('data: {') && n++ === 1
          ? `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}${end}`
          : frame,
      );
      const baseURL = `${relay.url}/api/v1`;
      const paid = createX402Fetch({ wallet: newWallet(baseURL), budget: createBudget(), baseURL });
      const response = await paid(`${baseURL}/chat/completions`, chat('e2ee-glm-5', { stream: true }));
      const { error, seen } = await readUntilError(response);
      expect(error).toBeInstanceOf(E2EEError);
      expect(error.reason).toBe('plaintext');
      expect(seen).not.toContain('injected');
    });
  }
});

describe('under the OpenAI SDK (which retries a thrown error as a connection error)', () => {
  it('a failed E2EE answer is a non-retryable 502: sent once, paid once', async () => {
    const relay = await proxy((body) => body.replace(/"content":"04[0-9a-f]+"/g, '"content":"a plaintext answer"'));
    const baseURL = `${relay.url}/api/v1`;
    const wallet = newWallet(baseURL);
    const openai = new OpenAI({ baseURL, apiKey: 'unused', fetch: createX402Fetch({ wallet, baseURL }) });
    const error = await openai.chat.completions
      .create({ model: 'e2ee-glm-5', messages: [{ role: 'user', content: SECRET }], max_tokens: 8 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error.status).toBe(502);
    expect(error.error).toMatchObject({ type: 'e2ee_failed', code: 'E2EE_FAILED' });
    expect(JSON.stringify(error.error)).not.toContain('plaintext answer');
    expect(relay.seen.filter((s) => s.url.endsWith('/chat/completions'))).toHaveLength(1);
    expect(sim.ledger.chargesByRequest(wallet.address).size).toBe(1);
  });

  it('a failed attestation is a non-retryable 502, nothing sent to the model', async () => {
    sim.setFaults([{ kind: 'bad_attestation', route: '/tee/attestation', attestation: 'debug' }]);
    const openai = new OpenAI({
      baseURL: sim.baseURL,
      apiKey: 'unused',
      fetch: createX402Fetch({ wallet: newWallet() }),
    });
    const before = sim.stats.byRoute['/tee/attestation'] ?? 0;
    const error = await openai.chat.completions
      .create({ model: 'tee-qwen3-4b', messages: [{ role: 'user', content: SECRET }] })
      .catch((e) => e);
    expect(error.status).toBe(502);
    expect(error.error).toMatchObject({ type: 'attestation_failed', details: { reason: 'debug' } });
    expect((sim.stats.byRoute['/tee/attestation'] ?? 0) - before).toBe(1);
  });
});

describe('a hostile attestation server', () => {
  /** A TDX v4 quote binding `address` and `nonce` in REPORTDATA; `teeType` 0x81 is TDX. */
  const quote = (address: string, nonce: string, teeType = 0x81) => {
    const q = Buffer.alloc(48 + 584 + 4);
    q.writeUInt16LE(4, 0);
    q.writeUInt32LE(teeType, 4);
    Buffer.from(address, 'hex').copy(q, 48 + 520);
    Buffer.from(nonce, 'hex').copy(q, 48 + 520 + 32);
    return q.toString('base64');
  };
  const key = newKeyPair();
  const address = keccak256(key.publicKey.subarray(1)).slice(-40);
  const good = (nonce: string) => ({
    verified: true,
    nonce,
    model: 'tee-qwen3-4b',
    intel_quote: quote(address, nonce),
    signing_key: key.publicKey.toString('hex'),
    signing_address: getAddress(`0x${address}`),
  });
  const cases: [string, (nonce: string) => Record<string, unknown> | number, AttestationError['reason']][] = [
    ['says verified: false', (n) => ({ ...good(n), verified: false }), 'server'],
    ['says verified: true and carries no quote', (n) => ({ ...good(n), intel_quote: undefined }), 'malformed'],
    [
      'names a key that is not a curve point',
      (n) => ({ ...good(n), signing_key: `04${'11'.repeat(64)}` }),
      'malformed',
    ],
    ['sends a quote that is not TDX', (n) => ({ ...good(n), intel_quote: quote(address, n, 0) }), 'quote'],
    ['sends a truncated quote', (n) => ({ ...good(n), intel_quote: quote(address, n).slice(0, 400) }), 'quote'],
    ['attests another model', (n) => ({ ...good(n), model: 'tee-other' }), 'model'],
    ['echoes another nonce', (n) => ({ ...good(n), nonce: 'cd'.repeat(32) }), 'nonce'],
    ['answers 404', () => 404, 'unavailable'],
  ];
  for (const [name, answer, reason] of cases) {
    it(`${name} → AttestationError (${reason}); the prompt is never sent`, async () => {
      const server = await startHostile((req, res) => {
        const url = new URL(req.url!, 'http://x');
        if (url.pathname.endsWith('/tee/attestation')) {
          const a = answer(url.searchParams.get('nonce')!);
          return typeof a === 'number' ? json(res, a, { error: 'down' }) : json(res, 200, a);
        }
        json(res, 200, chatAnswer(0.0001));
      });
      servers.push(server);
      const baseURL = `${server.url}/api/v1`;
      const budget = createBudget();
      const paid = createX402Fetch({ wallet: newWallet(baseURL), budget, baseURL });
      const error = await paid(`${baseURL}/chat/completions`, chat('tee-qwen3-4b')).catch((e) => e);
      expect(error).toBeInstanceOf(AttestationError);
      expect(error.reason).toBe(reason);
      expect(JSON.stringify(error)).not.toContain(key.publicKey.toString('hex'));
      expect(server.seen.filter((s) => s.url.endsWith('/chat/completions'))).toHaveLength(0);
      expect((await budget.report()).totalUsd).toBe(0);
    });
  }

  it('a good one from the same server passes (the control)', async () => {
    const server = await startHostile((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname.endsWith('/tee/attestation')) return json(res, 200, good(url.searchParams.get('nonce')!));
      json(res, 200, chatAnswer(0.0001));
    });
    servers.push(server);
    const baseURL = `${server.url}/api/v1`;
    const paid = createX402Fetch({ wallet: newWallet(baseURL), baseURL });
    const response = await paid(`${baseURL}/chat/completions`, chat('tee-qwen3-4b'));
    expect(response.status).toBe(200);
    expect((await outcomeOf(response))!.tee?.signingAddress).toBe(getAddress(`0x${address}`));
  });
});

/** Reads a streamed answer to its end or its first error: what the app saw before it, and the error. */
async function readUntilError(response: Response): Promise<{ error: any; seen: string }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let seen = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { error: undefined, seen };
      seen += decoder.decode(value);
    }
  } catch (error) {
    return { error, seen };
  }
}
