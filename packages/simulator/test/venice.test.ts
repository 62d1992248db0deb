import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../src/index.js';
import { decode, signTopUp, siwxHeader } from './independent-client.js';

let sim: Simulator;
let host: string;
beforeAll(async () => {
  sim = await startSimulator({ apiKeys: { 'sk-test': 5 }, rateLimits: false }); // many top-ups from one IP
  host = 'api.venice.ai'; // Venice's allow-list; the simulator, like Venice, ignores the Host it is reached at
});
afterAll(() => sim.stop());

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${sim.baseURL}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

async function fundedWallet(usd = 10) {
  const account = privateKeyToAccount(generatePrivateKey());
  await sim.fund(account.address, 50);
  const discovery = await (await fetch(`${sim.baseURL}/x402/top-up`, { method: 'POST' })).json();
  const payment = await signTopUp(account, discovery, BigInt(usd * 1e6));
  const res = await fetch(`${sim.baseURL}/x402/top-up`, { method: 'POST', headers: { 'PAYMENT-SIGNATURE': payment } });
  expect(res.status).toBe(200);
  return { account, payment };
}

describe('simulator: Venice mode', () => {
  it('answers top-up discovery with the §4.1 body and the same JSON in PAYMENT-REQUIRED', async () => {
    const res = await fetch(`${sim.baseURL}/x402/top-up`, { method: 'POST' });
    expect(res.status).toBe(402);
    const body = await res.json();
    expect(decode(res.headers.get('payment-required'))).toEqual(body);
    expect(body.x402Version).toBe(2);
    expect(body.accepts[0]).toMatchObject({
      scheme: 'exact',
      network: 'eip155:8453',
      amount: '5000000',
      maxTimeoutSeconds: 300,
      extra: { name: 'USD Coin', version: '2' },
    });
    expect(body.accepts[0].asset).toBe('0x833589fcd6edb6e08f4c7c32d4f71b54bda02913');
    expect(body.accepts[1].network).toMatch(/^solana:/);
  });

  it('credits a top-up once, however often the authorization is replayed, under every header name', async () => {
    const { account, payment } = await fundedWallet(10);
    for (const name of ['PAYMENT-SIGNATURE', 'X-402-Payment', 'X-PAYMENT']) {
      const again = await fetch(`${sim.baseURL}/x402/top-up`, { method: 'POST', headers: { [name]: payment } });
      expect(again.status).toBe(200);
    }
    expect(sim.ledger.balance(account.address)).toBe(10_000_000n);
    expect(await sim.usdcBalance(account.address)).toBe(40_000_000n);
    const res = await fetch(`${sim.baseURL}/x402/balance/${account.address}`, {
      headers: { 'X-Sign-In-With-X': await siwxHeader(account, host) },
    });
    expect((await res.json()).data).toMatchObject({ balanceUsd: 10, canConsume: true, minimumTopUpUsd: 5 });
  });

  it('rejects bad top-ups with Venice error codes', async () => {
    const account = privateKeyToAccount(generatePrivateKey());
    const discovery = await (await fetch(`${sim.baseURL}/x402/top-up`, { method: 'POST' })).json();
    const cases: [string, string][] = [
      ['garbage', 'INVALID_PAYMENT_FORMAT'],
      [await signTopUp(account, discovery, 1_000_000n), 'AMOUNT_TOO_LOW'],
      [
        await signTopUp(account, { accepts: [{ ...discovery.accepts[0], payTo: account.address }] }, 5_000_000n),
        'INVALID_PAYMENT_RECIPIENT',
      ],
      [await signTopUp(account, discovery, 5_000_000n), 'PAYMENT_VERIFICATION_FAILED'], // unfunded payer
    ];
    for (const [header, code] of cases) {
      const res = await fetch(`${sim.baseURL}/x402/top-up`, {
        method: 'POST',
        headers: { 'PAYMENT-SIGNATURE': header },
      });
      expect(res.status).toBe(400);
      expect((await res.json()).error).toBe(code);
    }
  });

  it('refuses a replayed sign-in header with 401 X402_SIGN_IN_NONCE_REUSED', async () => {
    const { account } = await fundedWallet();
    const header = await siwxHeader(account, host);
    const body = { model: 'qwen3-4b', messages: [{ role: 'user', content: 'hello' }] };
    expect((await post('/chat/completions', body, { 'SIGN-IN-WITH-X': header })).status).toBe(200);
    const replay = await post('/chat/completions', body, { 'SIGN-IN-WITH-X': header });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ error: expect.any(String), code: 'X402_SIGN_IN_NONCE_REUSED' });
  });

  it('verifies sign-in fields: foreign domain, stale issuedAt, tampered signature', async () => {
    const { account } = await fundedWallet();
    const body = { model: 'qwen3-4b', messages: [{ role: 'user', content: 'x' }] };
    const codeFor = async (h: string) =>
      (await (await post('/chat/completions', body, { 'SIGN-IN-WITH-X': h })).json()).code;
    expect(await codeFor(await siwxHeader(account, 'evil.example'))).toBe('X402_SIGN_IN_DOMAIN_MISMATCH');
    expect(await codeFor(await siwxHeader(account, host, new Date(Date.now() - 6 * 60_000)))).toBe(
      'X402_SIGN_IN_EXPIRED',
    );
    expect(await codeFor(await siwxHeader(account, host, new Date(Date.now() + 120_000)))).toBe(
      'X402_SIGN_IN_FUTURE_TIMESTAMP',
    );
    const good = JSON.parse(Buffer.from(await siwxHeader(account, host), 'base64').toString());
    const other = privateKeyToAccount(generatePrivateKey());
    const forged = { ...good, signature: await other.signMessage({ message: good.message }) };
    expect(await codeFor(Buffer.from(JSON.stringify(forged)).toString('base64'))).toBe(
      'X402_SIGN_IN_INVALID_SIGNATURE',
    );
    expect(await codeFor('!!!')).toBe('X402_SIGN_IN_PARSE_ERROR');
  });

  it('charges usage × price, clamps at zero, and lists CHARGE rows newest first', async () => {
    const { account } = await fundedWallet(5);
    const res = await post(
      '/chat/completions',
      { model: 'llama-3.3-70b', messages: [{ role: 'user', content: 'price me' }], max_tokens: 10 },
      { 'SIGN-IN-WITH-X': await siwxHeader(account, host) },
    );
    const body = await res.json();
    const expected = Math.ceil(body.usage.prompt_tokens * 0.7) + Math.ceil(body.usage.completion_tokens * 2.8);
    expect(Math.round(body.cost.usd * 1e6)).toBe(expected);
    expect(sim.ledger.totalCharged(account.address)).toBe(BigInt(expected));
    expect(Number(res.headers.get('x-balance-remaining'))).toBeCloseTo(5 - expected / 1e6, 6);
    const tx = await (
      await fetch(`${sim.baseURL}/x402/transactions/${account.address}?limit=1`, {
        headers: { 'SIGN-IN-WITH-X': await siwxHeader(account, host) },
      })
    ).json();
    expect(tx.data.transactions[0]).toMatchObject({ type: 'CHARGE', requestId: body.id, modelId: 'llama-3.3-70b' });
    expect(tx.data.pagination.hasMore).toBe(true);
  });

  it('gives the §5 402 shapes: case A without credentials, case B below $0.10', async () => {
    const a = await post('/chat/completions', { model: 'qwen3-4b', messages: [] });
    expect(a.status).toBe(402);
    const aBody = await a.json();
    expect(aBody).toMatchObject({
      x402Version: 2,
      resource: { url: expect.any(String) },
      authOptions: { x402Wallet: { header: 'SIGN-IN-WITH-X' } },
    });
    expect(aBody.accepts[0].amount).toBe('10000000');
    expect(aBody.accepts[1].network).toBe('solana');

    const broke = privateKeyToAccount(generatePrivateKey());
    const b = await post(
      '/chat/completions',
      { model: 'qwen3-4b', messages: [{ role: 'user', content: 'x' }] },
      { 'SIGN-IN-WITH-X': await siwxHeader(broke, host) },
    );
    expect(b.status).toBe(402);
    const bBody = await b.json();
    expect(bBody).toMatchObject({
      error: 'Payment required',
      code: 'PAYMENT_REQUIRED',
      reason: 'insufficient_balance',
      suggestedTopUpUsd: 10,
      minimumTopUpUsd: 5,
      supportedTokens: ['USDC'],
    });
    expect(bBody.siwxChallenge.info.domain).toBe(host);
    const header = decode(b.headers.get('payment-required'));
    expect(header).toMatchObject({
      x402Version: 2,
      error: 'Payment required',
      extensions: { 'sign-in-with-x': { info: { statement: 'Sign in to Venice AI' } } },
    });
    expect(header.code).toBeUndefined();
  });

  it('refuses payment headers on inference routes and serves Bearer keys', async () => {
    const res = await post(
      '/embeddings',
      { model: 'text-embedding-bge-m3', input: 'x' },
      { 'PAYMENT-SIGNATURE': 'abc' },
    );
    expect(res.status).toBe(400);
    expect((await res.json()).code).toBe('PAYMENT_HEADER_NOT_ACCEPTED');
    // …and on the wallet routes, as Venice does: only /x402/top-up takes a payment.
    for (const name of ['X-402-Payment', 'PAYMENT-SIGNATURE', 'X-PAYMENT']) {
      const wallet = await fetch(`${sim.baseURL}/x402/balance/0x70997970C51812dc3A010C7d01b50e0d17dc79C8`, {
        headers: { [name]: 'abc' },
      });
      expect(wallet.status).toBe(400);
      expect((await wallet.json()).code).toBe('PAYMENT_HEADER_NOT_ACCEPTED');
    }
    const ok = await post(
      '/embeddings',
      { model: 'text-embedding-bge-m3', input: ['a cat', 'a cat sat'] },
      { authorization: 'Bearer sk-test' },
    );
    expect(ok.status).toBe(200);
    expect((await ok.json()).data).toHaveLength(2);
    expect(
      (await post('/embeddings', { model: 'text-embedding-bge-m3', input: 'x' }, { authorization: 'Bearer nope' }))
        .status,
    ).toBe(401);
  });

  it('streams SSE with a final usage + cost chunk, and tool calls that satisfy the schema', async () => {
    const { account } = await fundedWallet();
    const tools = [
      {
        type: 'function',
        function: {
          name: 'weather',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 1, maximum: 7 } },
            required: ['city', 'days'],
          },
        },
      },
    ];
    const res = await post(
      '/chat/completions',
      { model: 'llama-3.3-70b', messages: [{ role: 'user', content: 'weather?' }], tools, stream: true },
      { 'SIGN-IN-WITH-X': await siwxHeader(account, host) },
    );
    const text = await res.text();
    const frames = text
      .split('\n\n')
      .filter(Boolean)
      .map((f) => f.replace(/^data: /, ''));
    expect(frames.at(-1)).toBe('[DONE]');
    const last = JSON.parse(frames.at(-2)!);
    expect(last.choices).toEqual([]);
    expect(last.usage.total_tokens).toBeGreaterThan(0);
    expect(last.cost.usd).toBeGreaterThan(0);
    const args = frames
      .slice(0, -2)
      .map((f) => JSON.parse(f).choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '')
      .join('');
    const parsed = JSON.parse(args);
    expect(typeof parsed.city).toBe('string');
    expect(parsed.days).toBeGreaterThanOrEqual(1);
  });

  it('enforces 5 in flight per wallet with 429 X402_CONCURRENCY_LIMIT', async () => {
    sim.setFaults([{ kind: 'slow_stream', delayMs: 20 }]);
    try {
      const { account } = await fundedWallet();
      const calls = await Promise.all(
        Array.from({ length: 8 }, async () =>
          post(
            '/chat/completions',
            { model: 'qwen3-4b', messages: [{ role: 'user', content: 'x' }], stream: true, max_tokens: 5 },
            { 'SIGN-IN-WITH-X': await siwxHeader(account, host) },
          ),
        ),
      );
      const statuses = calls.map((r) => r.status).sort();
      await Promise.all(calls.map((r) => r.text()));
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(3);
    } finally {
      sim.setFaults([]);
    }
  });

  it('serves models with pricing, embeddings that make related texts close, images, speech and transcription', async () => {
    const models = await (await fetch(`${sim.baseURL}/models?type=all`)).json();
    expect(new Set(models.data.map((m: any) => m.type))).toEqual(
      new Set(['text', 'embedding', 'image', 'tts', 'asr', 'video', 'music', 'upscale', 'inpaint']),
    );
    // Video and music are priced by quote, never in /models (docs/venice-protocol.md §8).
    for (const m of models.data.filter((m: any) => m.type === 'video' || m.type === 'music'))
      expect(m.model_spec.pricing).toBeUndefined();
    const { account } = await fundedWallet();
    const auth = async () => ({ 'SIGN-IN-WITH-X': await siwxHeader(account, host) });
    const emb = await (
      await post(
        '/embeddings',
        {
          model: 'text-embedding-bge-m3',
          input: ['the cat sat on the mat', 'a cat on a mat', 'stock market prices fell'],
        },
        await auth(),
      )
    ).json();
    const [a, b, c] = emb.data.map((d: any) => d.embedding as number[]);
    const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * y[i]!, 0);
    expect(dot(a, b)).toBeGreaterThan(dot(a, c));
    const img = await post('/images/generations', { model: 'venice-sd35', prompt: 'a cat' }, await auth());
    expect(
      Buffer.from((await img.json()).data[0].b64_json, 'base64')
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
    const tts = await post(
      '/audio/speech',
      { model: 'tts-kokoro', input: 'hello there', voice: 'af_sky' },
      await auth(),
    );
    const wav = Buffer.from(await tts.arrayBuffer());
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    const form = new FormData();
    form.set('model', 'nvidia/parakeet-tdt-0.6b-v3');
    form.set('file', new Blob([wav], { type: 'audio/wav' }), 'a.wav');
    const asr = await fetch(`${sim.baseURL}/audio/transcriptions`, {
      method: 'POST',
      headers: await auth(),
      body: form,
    });
    expect((await asr.json()).text).toMatch(/transcription/);
  });
});
