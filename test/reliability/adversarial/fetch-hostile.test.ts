/**
 * The paid fetch against servers that want more than they are owed ("Nothing signed goes unaccounted",
 * "Budget API hardening"). Every server here is a small node:http server of the test's own.
 */
import { getEventListeners } from 'node:events';
import {
  BudgetExceededError,
  ConfigError,
  createBudget,
  createEstimator,
  createWallet,
  PolicyDeniedError,
  TimeoutError,
} from '@venice-x402/core';
import { decodeBase64Json } from '@venice-x402/core/internal';
import { createX402Fetch, outcomeOf } from '@venice-x402/fetch';
import { generatePrivateKey } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { signal } from '../../helpers/signal.js';
import { ManualClock } from '../../manual-clock.js';
import { chatAnswer, chatBody, type Hostile, json, PAY_TO, quoteHeader, useHostileServers } from './hostile-server.js';

const hostile = useHostileServers();

const estimator = () =>
  createEstimator({
    baseURL: null,
    defaultEstimateUsd: 0.05,
    models: [
      { id: 'qwen3-4b', type: 'text', input: 0.05, output: 0.15, maxCompletionTokens: 8192 },
      { id: 'llama-3.3-70b', type: 'text', input: 0.7, output: 2.8, maxCompletionTokens: 100_000 },
      { id: 'venice-uncensored', type: 'text', input: 0.2, output: 0.9, maxCompletionTokens: 8192 },
      { id: 'whisper-large-v3', type: 'asr', perAudioSecond: 0.0001 },
    ],
  });

/** A Venice-mode paid fetch (wallet, Sign-In-With-X) whose API is the hostile server. */
function veniceFetch(server: Hostile, policy: Parameters<typeof createBudget>[0] = {}, extra = {}) {
  const baseURL = `${server.url}/api/v1`;
  const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
  const budget = createBudget(policy);
  return { budget, fetch: createX402Fetch({ wallet, budget, baseURL, estimator: estimator(), ...extra }), baseURL };
}

const signInOf = (headers: Record<string, unknown>) => headers['sign-in-with-x'] ?? headers['x-sign-in-with-x'];
const post = (body: string | FormData = chatBody(), headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: typeof body === 'string' ? { 'content-type': 'application/json', ...headers } : headers,
  body,
});

describe('1. pay-per-call: a payment that left is never released', () => {
  for (const status of [402, 400, 500]) {
    it(`a server answering ${status} to every paid retry collects one authorization, and the budget counts it`, async () => {
      const server = await hostile((req, res) => {
        if (!req.headers['payment-signature'])
          return json(res, 402, { error: 'pay' }, { 'PAYMENT-REQUIRED': quoteHeader(10_000n) });
        if (status === 402) return json(res, 402, { error: 'again' }, { 'PAYMENT-REQUIRED': quoteHeader(10_000n) });
        json(res, status, { error: 'nope' });
      });
      const wallet = createWallet({ privateKey: generatePrivateKey() });
      const budget = createBudget({ limits: { totalUsd: 0.05 }, signing: { payees: [PAY_TO] } });
      const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: server.url, maxRetries: 0 });
      for (let i = 0; i < 100; i++) await fetch(`${server.url}/v1/chat/completions`, post()).catch(() => {});
      const authorizations = new Set(server.seen.map((s) => s.headers['payment-signature']).filter(Boolean));
      expect(authorizations.size).toBe(1);
      const report = await budget.report();
      expect(report.totalUsd).toBe(0.01); // counted, not released
      const requests = await budget.store.requests();
      expect([...requests.values()].every((r) => r.ambiguous)).toBe(true);
      expect(report.windows.find((w) => w.window === 'total')!.reservedUsd).toBe(0);
    });
  }

  it('signs the cheapest acceptable option, not the first', async () => {
    const server = await hostile((req, res) => {
      if (!req.headers['payment-signature'])
        return json(res, 402, {}, { 'PAYMENT-REQUIRED': quoteHeader([900_000n, 10_000n]) });
      json(res, 200, chatAnswer(0.01));
    });
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    const budget = createBudget({ signing: { payees: [PAY_TO] } });
    const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: server.url });
    expect((await fetch(`${server.url}/v1/chat/completions`, post())).status).toBe(200);
    const paid = server.seen.find((s) => s.headers['payment-signature'])!;
    const payload = decodeBase64Json(String(paid.headers['payment-signature']), 'payment') as any;
    expect(payload.accepted.amount).toBe('10000');
    expect((await budget.report()).totalUsd).toBe(0.01);
  });

  it('with a small daily budget, holds what the origin last quoted, not the default estimate', async () => {
    const server = await hostile((req, res) => {
      if (!req.headers['payment-signature']) return json(res, 402, {}, { 'PAYMENT-REQUIRED': quoteHeader(10_000n) });
      json(res, 200, chatAnswer(0.01));
    });
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    const budget = createBudget({ limits: { dailyUsd: 0.05 }, signing: { payees: [PAY_TO] } });
    const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: server.url });
    for (let i = 0; i < 5; i++) expect((await fetch(`${server.url}/v1/chat/completions`, post())).status).toBe(200);
    await expect(fetch(`${server.url}/v1/chat/completions`, post())).rejects.toBeInstanceOf(BudgetExceededError);
    expect((await budget.report()).totalUsd).toBe(0.05);
  });
});

describe('2. no credential follows a redirect to another origin', () => {
  for (const status of [301, 302, 307, 308]) {
    it(`a ${status} to another host gets neither the sign-in nor a key, and the hold is freed`, async () => {
      const thief = await hostile((_req, res) => json(res, 200, chatAnswer(0.01)));
      const api = await hostile((_req, res) => {
        res.writeHead(status, { location: `${thief.url}/steal` });
        res.end();
      });
      const { fetch, budget, baseURL } = veniceFetch(api, { limits: { totalUsd: 1 } });
      const res = await fetch(`${baseURL}/chat/completions`, post());
      expect(res.status).toBe(status);
      expect(signInOf(api.seen[0]!.headers)).toBeTruthy();
      expect(thief.seen).toHaveLength(0);
      const report = await budget.report();
      expect(report.windows.find((w) => w.window === 'total')!.reservedUsd).toBe(0);
      const keyed = createX402Fetch({ apiKey: 'sk-canary-key', baseURL, budget, estimator: estimator() });
      expect((await keyed(`${baseURL}/chat/completions`, post())).status).toBe(status);
      expect(thief.seen).toHaveLength(0);
    });
  }

  it('follows a same-site 307/308 itself, re-signed, body intact (no detached buffer)', async () => {
    const api = await hostile((req, res, seen) => {
      if (!req.url!.endsWith('-v3')) {
        const last = req.url!.endsWith('-v2');
        res.writeHead(last ? 308 : 307, { location: last ? req.url!.replace('-v2', '-v3') : `${req.url}-v2` });
        res.end();
        return;
      }
      expect(JSON.parse(seen.body).model).toBe('qwen3-4b');
      json(res, 200, chatAnswer(0.002));
    });
    const { fetch, budget, baseURL } = veniceFetch(api);
    const res = await fetch(`${baseURL}/chat/completions`, post());
    expect(res.status).toBe(200);
    const signIns = api.seen.map((s) => signInOf(s.headers));
    expect(new Set(signIns).size).toBe(3); // each hop signed afresh
    expect((await budget.report()).totalUsd).toBe(0.002);
  });

  it('a pay-per-call 302 to another host after payment never delivers the payment there', async () => {
    const thief = await hostile((_req, res) => json(res, 200, chatAnswer(0.01)));
    const gateway = await hostile((req, res) => {
      if (!req.headers['payment-signature']) return json(res, 402, {}, { 'PAYMENT-REQUIRED': quoteHeader(10_000n) });
      res.writeHead(302, { location: `${thief.url}/collect` });
      res.end();
    });
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    const budget = createBudget({ signing: { payees: [PAY_TO] } });
    const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: gateway.url });
    expect((await fetch(`${gateway.url}/v1/chat/completions`, post())).status).toBe(302);
    expect(thief.seen).toHaveLength(0);
    expect((await budget.report()).totalUsd).toBe(0.01); // the payment went out: counted
  });
});

describe('3. the estimate cannot be talked down', () => {
  it('classifies a text/plain chat body as the chat it is: model rules and price apply', async () => {
    const api = await hostile((_req, res) => json(res, 200, chatAnswer(0.21)));
    const denied = veniceFetch(api, { models: { deny: ['llama-*'] } });
    const body = chatBody({ model: 'llama-3.3-70b', max_tokens: 50_000 });
    await expect(
      denied.fetch(`${denied.baseURL}/chat/completions`, post(body, { 'content-type': 'text/plain' })),
    ).rejects.toBeInstanceOf(PolicyDeniedError);
    const capped = veniceFetch(api, { limits: { totalUsd: 0.1 } });
    await expect(
      capped.fetch(`${capped.baseURL}/chat/completions`, post(body, { 'content-type': 'text/plain' })),
    ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(api.seen).toHaveLength(0);
  });

  it('a negative or nonsense max_tokens never lowers the hold', async () => {
    const api = await hostile((_req, res) => json(res, 200, chatAnswer(0.21)));
    const { fetch, baseURL } = veniceFetch(api, { limits: { totalUsd: 0.1 } });
    for (const max_tokens of [-10_000_000, 'NaN', 0])
      await expect(
        fetch(`${baseURL}/chat/completions`, post(chatBody({ model: 'llama-3.3-70b', max_tokens }))),
      ).rejects.toBeInstanceOf(BudgetExceededError);
    expect(api.seen).toHaveLength(0);
  });

  it('a null max_tokens (no cap) is sent with the cap the budget can pay for, never uncapped', async () => {
    const api = await hostile((_req, res) => json(res, 200, chatAnswer(0.01)));
    const { fetch, baseURL } = veniceFetch(api, { limits: { totalUsd: 0.01 } });
    const res = await fetch(
      `${baseURL}/chat/completions`,
      post(chatBody({ model: 'llama-3.3-70b', max_tokens: null })),
    );
    expect(res.status).toBe(200);
    const sent = JSON.parse(api.seen[0]!.body);
    // llama-3.3-70b output: $2.80 per 1M tokens, so $0.01 pays for fewer than 3,572 tokens.
    expect(sent.max_completion_tokens).toBeGreaterThan(1000);
    expect(sent.max_completion_tokens).toBeLessThan(3572);
    expect(res.headers.get('x-venice-x402-max-tokens')).toBe(String(sent.max_completion_tokens));
  });

  it('a feature suffix does not slip past a deny rule', async () => {
    const api = await hostile((_req, res) => json(res, 200, chatAnswer(0.01)));
    const { fetch, baseURL } = veniceFetch(api, { models: { deny: ['*-uncensored'] } });
    await expect(
      fetch(`${baseURL}/chat/completions`, post(chatBody({ model: 'venice-uncensored:enable_web_search=off' }))),
    ).rejects.toBeInstanceOf(PolicyDeniedError);
    expect(api.seen).toHaveLength(0);
  });
});

describe('4. multipart bodies are priced', () => {
  const clip = (model = 'whisper-large-v3') => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(4000)], { type: 'audio/mpeg' }), 'clip.mp3');
    form.append('model', model);
    return form;
  };
  for (const seconds of [1, 1334]) {
    it(`records what ${seconds} s of transcription cost, not the default estimate`, async () => {
      const api = await hostile((_req, res) => json(res, 200, { text: 'hello', duration: seconds }));
      const { fetch, budget, baseURL } = veniceFetch(api);
      expect((await fetch(`${baseURL}/audio/transcriptions`, post(clip()))).status).toBe(200);
      expect((await budget.report()).totalUsd).toBeCloseTo(seconds * 0.0001, 9);
    });
  }

  it('applies model rules to a multipart body', async () => {
    const api = await hostile((_req, res) => json(res, 200, { text: 'hello', duration: 1 }));
    const { fetch, baseURL } = veniceFetch(api, { models: { deny: ['whisper-*'] } });
    await expect(fetch(`${baseURL}/audio/transcriptions`, post(clip()))).rejects.toBeInstanceOf(PolicyDeniedError);
    expect(api.seen).toHaveLength(0);
  });
});

describe('5. a live call keeps its hold', () => {
  it('a trickling stream outlives the reservation TTL without letting a second call through', async () => {
    const clock = new ManualClock();
    let finish!: () => void;
    const finished = new Promise<void>((r) => {
      finish = r;
    });
    const api = await hostile(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const frame = { id: 's1', model: 'qwen3-4b', choices: [{ delta: { content: 'x' } }] };
      res.write(`data: ${JSON.stringify(frame)}\n\n`);
      await finished; // trickles on while the test moves time past two TTLs
      res.write(
        `data: ${JSON.stringify({ id: 's1', choices: [], usage: { prompt_tokens: 1, completion_tokens: 7 }, cost: { usd: 0.06 } })}\n\n`,
      );
      res.end('data: [DONE]\n\n');
    });
    // A 100 000-token cap on llama holds ≈ $0.28; the cap lets exactly one call hold at a time.
    const baseURL = `${api.url}/api/v1`;
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
    const budget = createBudget({ limits: { totalUsd: 0.3 }, reservationTtlSeconds: 1 }, { now: clock.now });
    const fetch = createX402Fetch({ wallet, budget, baseURL, estimator: estimator(), clock });
    const body = chatBody({ model: 'llama-3.3-70b', max_tokens: 100_000, stream: true });
    const res = await fetch(`${baseURL}/chat/completions`, post(body));
    const reader = res.body!.getReader();
    await reader.read();
    for (let i = 0; i < 8; i++) clock.advance(333); // two TTLs later, still streaming (renewed every TTL/3)
    await expect(fetch(`${baseURL}/chat/completions`, post(body))).rejects.toBeInstanceOf(BudgetExceededError);
    finish();
    while (!(await reader.read()).done);
    expect((await budget.report()).totalUsd).toBe(0.06); // settled before the body ended
  });
});

describe('7. pay-per-call pays only origins the user named', () => {
  it('refuses to be built without a named origin, and never pays another origin', async () => {
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    expect(() => createX402Fetch({ wallet, mode: 'payg' })).toThrow(ConfigError);
    const stranger = await hostile((req, res) => {
      if (req.headers['payment-signature']) return json(res, 200, { paid: true });
      json(res, 402, {}, { 'PAYMENT-REQUIRED': quoteHeader(990_000n) });
    });
    const gateway = await hostile((_req, res) => json(res, 200, {}));
    const budget = createBudget({ signing: { maxPaymentUsd: 1 } });
    const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: gateway.url });
    const res = await fetch(`${stranger.url}/anything`);
    expect(res.status).toBe(402);
    expect(stranger.seen.every((s) => !s.headers['payment-signature'])).toBe(true);
    expect((await budget.report()).totalUsd).toBe(0);
  });
});

describe('8. whatever the path spelling, what is signed is budgeted', () => {
  const paths = [
    '/chat/completions/',
    '//chat/completions',
    '/Chat/Completions',
    '/chat/completions;x',
    '/chat%2Fcompletions',
    '/brand/new/paid-route',
  ];
  it('budgets every variant under the base, and refuses them all over the cap', async () => {
    const api = await hostile((_req, res) => json(res, 200, chatAnswer(0.01)));
    const { fetch, budget, baseURL } = veniceFetch(api);
    const charged: string[] = [];
    budget.on('charge', (c) => charged.push(c.route));
    for (const p of paths) expect((await fetch(`${baseURL}${p}`, post())).status).toBe(200);
    expect(charged).toHaveLength(paths.length);
    expect((await budget.report()).totalUsd).toBeCloseTo(0.06, 9);
    const capped = veniceFetch(api, { limits: { totalUsd: 0.000001 } });
    const before = api.seen.length;
    for (const p of paths)
      await expect(capped.fetch(`${capped.baseURL}${p}`, post())).rejects.toBeInstanceOf(BudgetExceededError);
    expect(api.seen.length).toBe(before);
  });

  it('holds nothing for the writes Venice documents as free (queue polling and clean-up)', async () => {
    const api = await hostile((_req, res) => json(res, 200, { status: 'PROCESSING' }));
    const { fetch, budget, baseURL } = veniceFetch(api, { limits: { totalUsd: 0.000001 } });
    for (const p of ['/video/retrieve', '/audio/complete', '/audio/voice-changer/retrieve'])
      expect((await fetch(`${baseURL}${p}`, post('{"queue_id":"q1"}'))).status).toBe(200);
    expect((await budget.report()).totalUsd).toBe(0);
    expect(api.seen.every((s) => signInOf(s.headers))).toBe(true);
  });
});

describe('9. slots and timeouts', () => {
  it('five abandoned streams do not hold the wallet’s slots forever', async () => {
    const api = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ id: 'a', choices: [{ delta: { content: 'x' } }] })}\n\n`); // then nothing
    });
    const clock = new ManualClock();
    const { fetch, baseURL } = veniceFetch(api, {}, { clock, streamIdleTimeoutMs: 30_000 });
    const abandoned = [];
    for (let i = 0; i < 5; i++)
      abandoned.push(await fetch(`${baseURL}/chat/completions`, post(chatBody({ stream: true }))));
    const waiting = fetch(`${baseURL}/chat/completions`, post(chatBody({ stream: true }))); // no slot free
    clock.advance(30_000); // the five go idle: cut, their slots freed
    const sixth = await waiting;
    expect(sixth.status).toBe(200);
    const reading = sixth.text();
    clock.advance(30_000);
    await expect(reading).rejects.toBeInstanceOf(TimeoutError);
  });

  it('a server that never answers ends in a typed timeout; the slot is freed and the hold stays counted', async () => {
    const arrived = signal();
    const api = await hostile(() => {
      arrived.resolve();
      return new Promise(() => {}); // slow loris: no headers, ever
    });
    const clock = new ManualClock();
    const { fetch, budget, baseURL } = veniceFetch(
      api,
      { limits: { totalUsd: 1 } },
      { clock, timeoutMs: 60_000, maxRetries: 0 },
    );
    const call = fetch(`${baseURL}/chat/completions`, post());
    await arrived.promise;
    clock.advance(60_000); // only the timeout can end this call
    await expect(call).rejects.toBeInstanceOf(TimeoutError);
    const report = await budget.report();
    expect(report.windows.find((w) => w.window === 'total')!.reservedUsd).toBe(0);
    // The server has the request and may bill it: counted (ambiguous) until reconciled, not released.
    expect(report.totalUsd).toBeGreaterThan(0);
  });

  it('the caller’s abort ends a waiting call and a running stream, frees the slot, and leaves no listener', async () => {
    let streams = 0;
    let arrived = () => {};
    const api = await hostile((req, res) => {
      if (!req.url?.includes('stream')) {
        arrived();
        return new Promise(() => {}); // never answers
      }
      streams++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ id: 's', choices: [{ delta: { content: 'x' } }] })}\n\n`); // then trickles nothing
    });
    const { fetch, budget, baseURL } = veniceFetch(api, { limits: { totalUsd: 1 } }, { maxRetries: 0 });
    const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;
    for (let i = 0; i < 6; i++) {
      const waiting = new AbortController();
      const atServer = new Promise<void>((r) => {
        arrived = r;
      });
      const call = fetch(`${baseURL}/chat/completions`, { ...post(), signal: waiting.signal });
      await atServer;
      waiting.abort(new Error('caller gave up'));
      await expect(call).rejects.toThrow('caller gave up');
      expect(listeners(waiting.signal)).toBe(0);
    }
    const streaming = new AbortController();
    const res = await fetch(`${baseURL}/chat/completions?stream`, {
      ...post(chatBody({ stream: true })),
      signal: streaming.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    streaming.abort(new Error('stop streaming'));
    await expect(reader.read()).rejects.toThrow();
    await outcomeOf(res);
    expect(listeners(streaming.signal)).toBe(0);
    expect(streams).toBe(1);
    // Six aborted waits and an aborted stream: no slot is held (a wallet has five) and no hold is left open; the
    // server had each request, so each stays counted (ambiguous) until reconciled.
    expect((await budget.report()).windows.find((w) => w.window === 'total')!.reservedUsd).toBe(0);
    expect([...(await budget.store.requests()).values()].filter((r) => r.ambiguous)).toHaveLength(7);
  });

  it('refuses impossible options when built', () => {
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    expect(() => createX402Fetch({ wallet, maxInFlight: 0 })).toThrow(ConfigError);
    expect(() => createX402Fetch({ wallet, maxRetries: -1 })).toThrow(ConfigError);
    expect(() => createX402Fetch({ wallet, timeoutMs: 0 })).toThrow(ConfigError);
  });
});

describe('10. large answers stream through', () => {
  it('a JSON answer above the buffer limit is not buffered, and is settled from its end', async () => {
    const filler = 'x'.repeat(200_000);
    const { usage, cost, ...head } = chatAnswer(0.0042);
    const api = await hostile((_req, res) => json(res, 200, { ...head, filler, usage, cost }));
    const { fetch, budget, baseURL } = veniceFetch(api, {}, { maxBufferedBodyBytes: 16 * 1024 });
    const res = await fetch(`${baseURL}/chat/completions`, post());
    expect(res.headers.get('x-venice-x402-cost-usd')).toBeNull(); // not known until the end: it was not read ahead
    expect((await res.json()).filler).toHaveLength(200_000); // the body ends once the call is settled
    expect((await budget.report()).totalUsd).toBe(0.0042);
  });
});
