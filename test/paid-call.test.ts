/**
 * One owner per paid call (issue 29.1 / 29.4), aborted calls are money (25.9), our outcome headers cannot be
 * spoofed (25.6). Real servers only: the simulator, and small node:http servers of the test's own.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  BudgetExceededError,
  ConfigError,
  createBudget,
  createEstimator,
  createWallet,
  ProtocolError,
  TimeoutError,
} from '@venice-x402/core';
import {
  clearDisputedPayee,
  createX402Fetch,
  disputedPayees,
  OUTCOME_HEADERS,
  outcomeOf,
  readOutcome,
} from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SseOutcome, tapSse } from '../packages/fetch/src/settle.js';
import { signal } from './helpers/signal.js';
import { ManualClock } from './manual-clock.js';
import {
  chatAnswer,
  chatBody,
  json,
  PAY_TO,
  quoteHeader,
  useHostileServers,
} from './reliability/adversarial/hostile-server.js';

const hostile = useHostileServers();

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.stop());

/** Every call held at `usd` (no price list: the default estimate). */
const flat = (usd: number) => createEstimator({ baseURL: null, defaultEstimateUsd: usd });

const post = (body = chatBody(), signal?: AbortSignal) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body,
  signal,
});

/** Forwards a request to the simulator and reads its whole answer (the simulator bills it on receipt). */
async function forward(req: IncomingMessage, body: string) {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (['host', 'connection', 'content-length'].includes(name) || value === undefined) continue;
    headers.set(name, String(value));
  }
  const answer = await fetch(`${sim.url}${req.url}`, {
    method: req.method,
    headers,
    body: req.method === 'GET' ? undefined : body,
  });
  return { status: answer.status, headers: answer.headers, text: await answer.text() };
}

async function relay(res: ServerResponse, answer: Awaited<ReturnType<typeof forward>>) {
  res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
  res.end(answer.text);
}

describe('29.1 each kind of answer has its own limit', () => {
  it('a 401 re-sign does not spend the retry allowance of a 5xx', async () => {
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL: sim.baseURL });
    sim.credit(wallet.address, 1);
    const clock = new ManualClock();
    let replayed = false;
    const fetch = createX402Fetch({
      wallet,
      clock,
      maxRetries: 1,
      fetch: async (input, init) => {
        if (replayed || init?.method !== 'POST') return globalThis.fetch(input, init);
        replayed = true; // the first attempt carries a sign-in the server has already seen: 401, re-sign
        const old = await wallet.signIn();
        await globalThis.fetch(`${sim.baseURL}/embeddings`, {
          method: 'POST',
          headers: { 'SIGN-IN-WITH-X': old, 'content-type': 'application/json' },
          body: '{"model":"text-embedding-bge-m3","input":"x"}',
        });
        // …and the answer after the re-sign is a 503.
        sim.setFaults([{ kind: 'server_error', count: 1, status: 503, route: '/embeddings' }]);
        const headers = new Headers(init?.headers);
        headers.set('SIGN-IN-WITH-X', old);
        return globalThis.fetch(input, { ...init, headers });
      },
    });
    try {
      const call = fetch(`${sim.baseURL}/embeddings`, post('{"model":"text-embedding-bge-m3","input":"y"}'));
      // The 503's back-off (250 ms + jitter) runs on the test's clock.
      await clock.scheduled((ms) => ms >= 250 && ms < 400);
      clock.advance(400);
      const res = await call;
      expect(res.status).toBe(200);
      expect((await outcomeOf(res))?.status).toBe('charged');
    } finally {
      sim.setFaults([]);
    }
  });

  it('a 402 payment does not spend the retry allowance of a 5xx, and the retry re-sends the same payment', async () => {
    let paidAttempts = 0;
    const server = await hostile((req, res) => {
      if (!req.headers['payment-signature']) return json(res, 402, {}, { 'PAYMENT-REQUIRED': quoteHeader(10_000n) });
      if (++paidAttempts === 1) return json(res, 503, { error: 'busy' }, { 'retry-after': '2' });
      json(res, 200, chatAnswer(0.01));
    });
    const clock = new ManualClock();
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    const budget = createBudget({ signing: { payees: [PAY_TO] } });
    const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: server.url, maxRetries: 1, clock });
    const call = fetch(`${server.url}/v1/chat/completions`, post());
    await clock.scheduled((ms) => ms >= 2000 && ms < 2100);
    clock.advance(2100);
    const res = await call;
    expect(res.status).toBe(200);
    const payments = server.seen.map((s) => s.headers['payment-signature']).filter(Boolean);
    expect(payments).toHaveLength(2);
    expect(payments[1]).toBe(payments[0]);
    expect((await budget.report()).totalUsd).toBe(0.01);
  });
});

describe('29.1 per-fetch state stays per fetch', () => {
  it('a later fetch of the same wallet admits by its own maxInFlight, not the first fetch’s', async () => {
    const gate = signal();
    let inFlight = 0;
    let most = 0;
    const server = await hostile(async (req, res) => {
      if (req.method !== 'POST') return json(res, 404, {});
      most = Math.max(most, ++inFlight);
      if (inFlight === 3) gate.resolve();
      await gate.promise; // answers once three calls are at the server together
      inFlight--;
      json(res, 200, chatAnswer(0.0001));
    });
    const baseURL = `${server.url}/api/v1`;
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
    const budget = createBudget();
    const estimator = flat(0.001);
    const narrow = createX402Fetch({ wallet, budget, baseURL, estimator, maxInFlight: 1 }); // the wallet's first
    const wide = createX402Fetch({ wallet, budget, baseURL, estimator, maxInFlight: 3 });
    const answers = await Promise.all([1, 2, 3].map(() => wide(`${baseURL}/chat/completions`, post())));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(most).toBe(3);

    // The narrow fetch keeps its own limit of one (the gate is open now: each call is answered at once).
    most = 0;
    const narrowed = await Promise.all([1, 2, 3].map(() => narrow(`${baseURL}/chat/completions`, post())));
    expect(narrowed.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(most).toBe(1);
  }, 10_000);

  it('disputes are kept per budget (a new fetch on it refuses too, another budget has none); clearing a bad origin is a typed error', async () => {
    const server = await hostile((req, res) => {
      if (!req.headers['payment-signature']) return json(res, 402, {}, { 'PAYMENT-REQUIRED': quoteHeader(10_000n) });
      json(res, 500, { error: 'kept it' });
    });
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    const disputed = createBudget({ signing: { payees: [PAY_TO] } });
    const other = createBudget({ signing: { payees: [PAY_TO] } });
    const call = (budget: typeof other) =>
      createX402Fetch({ wallet, budget, mode: 'payg', baseURL: server.url, maxRetries: 0 })(
        `${server.url}/v1/chat/completions`,
        post(),
      ).catch((e) => e);
    expect((await call(disputed)).status).toBe(500);
    expect([...disputedPayees(disputed).keys()]).toEqual([server.url]);
    expect((await call(disputed)).code).toBe('PAYMENT_REQUIRED'); // a new fetch on the same budget refuses too
    expect(disputedPayees(other).size).toBe(0);
    expect(() => clearDisputedPayee(disputed, 'not an origin')).toThrow(ConfigError);
    expect(clearDisputedPayee(disputed, server.url)).toBe(true);
  });
});

describe('29.4 the paid path runs on an injectable clock', () => {
  it('renews a live stream’s hold on the clock, so an expired-looking hold never lets a second call through', async () => {
    const clock = new ManualClock();
    const server = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ id: 'live', choices: [{ delta: { content: 'x' } }] })}\n\n`);
      // …and trickles nothing more while the test moves time.
    });
    const baseURL = `${server.url}/api/v1`;
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
    const budget = createBudget(
      { limits: { totalUsd: 0.05 }, reservationTtlSeconds: 60, defaultEstimateUsd: 0.03 },
      { now: clock.now },
    );
    const fetch = createX402Fetch({
      wallet,
      budget,
      baseURL,
      clock,
      streamIdleTimeoutMs: 3_600_000,
      estimator: flat(0.03),
    });
    const res = await fetch(`${baseURL}/chat/completions`, post(chatBody({ stream: true })));
    const reader = res.body!.getReader();
    await reader.read();
    for (let i = 0; i < 9; i++) clock.advance(20_000); // three TTLs, renewed every 20 s
    await expect(fetch(`${baseURL}/chat/completions`, post())).rejects.toBeInstanceOf(BudgetExceededError);
    await reader.cancel();
  });

  it('times a call out on the clock: a typed TimeoutError, and the hold stays counted (Venice has the request)', async () => {
    const clock = new ManualClock();
    const arrived = signal();
    const server = await hostile(() => {
      arrived.resolve();
      return new Promise(() => {}); // never answers
    });
    const baseURL = `${server.url}/api/v1`;
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
    const budget = createBudget({ limits: { totalUsd: 1 }, defaultEstimateUsd: 0.02 });
    const fetch = createX402Fetch({
      wallet,
      budget,
      baseURL,
      clock,
      timeoutMs: 60_000,
      maxRetries: 0,
      estimator: flat(0.02),
    });
    const call = fetch(`${baseURL}/chat/completions`, post());
    await arrived.promise;
    clock.advance(60_000);
    await expect(call).rejects.toBeInstanceOf(TimeoutError);
    const requests = [...(await budget.store.requests()).values()];
    expect(requests).toHaveLength(1);
    expect(requests[0]!.ambiguous).toBe(true);
    expect((await budget.report()).totalUsd).toBe(0.02);
  });

  it('cuts a silent stream on the clock, and its outcome says it is counted until reconciled', async () => {
    const clock = new ManualClock();
    const server = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ id: 'quiet', choices: [{ delta: { content: 'x' } }] })}\n\n`);
    });
    const baseURL = `${server.url}/api/v1`;
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
    const budget = createBudget();
    const fetch = createX402Fetch({
      wallet,
      budget,
      baseURL,
      clock,
      streamIdleTimeoutMs: 30_000,
      estimator: flat(0.005),
    });
    const res = await fetch(`${baseURL}/chat/completions`, post(chatBody({ stream: true })));
    const reader = res.body!.getReader();
    await reader.read();
    await clock.scheduled((ms) => ms === 30_000);
    clock.advance(30_000);
    await expect(reader.read()).rejects.toBeInstanceOf(TimeoutError);
    expect(await outcomeOf(res)).toEqual({ status: 'ambiguous', costUsd: 0.005, requestId: 'quiet' });
  });
});

describe('25.9 a request Venice received is money until its outcome is known', () => {
  it('24 calls aborted, timed out or cut after the simulator billed them stay within a $0.0003 limit', async () => {
    const clock = new ManualClock();
    let arrived = signal();
    let mode: 'stall' | 'cut-json' | 'cut-stream' = 'stall';
    const front = await hostile(async (req, res, seen) => {
      if (req.method !== 'POST') return relay(res, await forward(req, seen.body));
      const answer = await forward(req, seen.body); // billed by the simulator from here on
      if (mode === 'stall') {
        arrived.resolve();
        return new Promise(() => {});
      }
      res.writeHead(200, { 'content-type': answer.headers.get('content-type')! });
      res.write(answer.text.slice(0, mode === 'cut-json' ? answer.text.length >> 1 : answer.text.indexOf('\n\n') + 2));
      arrived.resolve();
      setImmediate(() => res.destroy());
    });
    const baseURL = `${front.url}/api/v1`;
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
    sim.credit(wallet.address, 5);
    const budget = createBudget({ limits: { dailyUsd: 0.0003 } });
    const fetch = createX402Fetch({ wallet, budget, baseURL, clock, timeoutMs: 60_000, maxRetries: 0 });
    const body = (stream: boolean) =>
      chatBody({ model: 'llama-3.3-70b', messages: [{ role: 'user', content: 'hello' }], max_tokens: 30, stream });

    let refused = 0;
    let reached = 0;
    for (let i = 0; i < 24; i++) {
      arrived = signal();
      const kind = (['abort', 'timeout', 'cut-json', 'cut-stream'] as const)[i % 4]!;
      mode = kind === 'abort' || kind === 'timeout' ? 'stall' : kind;
      const controller = new AbortController();
      const call = fetch(`${baseURL}/chat/completions`, post(body(kind === 'cut-stream'), controller.signal));
      const outcome = await Promise.race([call.then(() => 'answered'), arrived.promise.then(() => 'arrived')]).catch(
        (error) => error,
      );
      if (outcome instanceof BudgetExceededError) {
        refused++;
        continue;
      }
      reached++;
      if (kind === 'abort') controller.abort(new Error('caller gave up'));
      if (kind === 'timeout') clock.advance(60_000);
      await call.then((res) => res.text()).catch(() => {});
    }
    const billed = Number(sim.ledger.totalCharged(wallet.address)) / 1e6;
    const oneCall = Math.max(...[...sim.ledger.chargesByRequest(wallet.address).values()].map(Number)) / 1e6;
    expect(reached).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    expect(billed).toBeGreaterThan(0);
    expect(billed).toBeLessThanOrEqual(0.0003 + oneCall);
    const report = await budget.report();
    expect(report.totalUsd).toBeGreaterThanOrEqual(billed);
    expect([...(await budget.store.requests()).values()].every((r) => r.ambiguous)).toBe(true);
  });
});

describe('25.9 an unreadable answer is an answer', () => {
  it('a status no Response can carry (600) fails typed and stays counted: the server may have billed it', async () => {
    const raw = createNetServer((socket) =>
      socket.once('data', () => socket.end('HTTP/1.1 600 Odd\r\ncontent-length: 2\r\n\r\n{}')),
    );
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    try {
      const baseURL = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/api/v1`;
      const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
      const budget = createBudget();
      const fetch = createX402Fetch({ wallet, budget, baseURL, estimator: flat(0.004), maxRetries: 3 });
      await expect(fetch(`${baseURL}/chat/completions`, post())).rejects.toBeInstanceOf(ProtocolError);
      const requests = [...(await budget.store.requests()).values()];
      expect(requests.map((r) => r.ambiguous)).toEqual([true]);
      expect((await budget.report()).totalUsd).toBe(0.004);
    } finally {
      await new Promise((r) => raw.close(r));
    }
  });
});

describe('25.6 a server cannot write our outcome headers', () => {
  const spoof = {
    [OUTCOME_HEADERS.costUsd]: '0.000001',
    [OUTCOME_HEADERS.budgetRemainingUsd]: '999999',
    [OUTCOME_HEADERS.paymentTx]: `0x${'f'.repeat(64)}`,
    [OUTCOME_HEADERS.balanceUsd]: '123456',
    [OUTCOME_HEADERS.requestId]: 'forged',
    'x-venice-x402-anything': 'forged',
  };
  const ours = (res: Response) => [...res.headers.keys()].filter((name) => name.startsWith('x-venice-x402-'));

  it('a paid gateway’s JSON and SSE answers carry our figures only', async () => {
    const server = await hostile((req, res, seen) => {
      if (!req.headers['payment-signature']) return json(res, 402, {}, { 'PAYMENT-REQUIRED': quoteHeader(500_000n) });
      if (!JSON.parse(seen.body).stream) return json(res, 200, chatAnswer(0.5, 'real-id'), spoof);
      res.writeHead(200, { 'content-type': 'text/event-stream', ...spoof });
      res.end(`data: ${JSON.stringify({ id: 'sse-id', choices: [{ delta: { content: 'x' } }] })}\n\ndata: [DONE]\n\n`);
    });
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    const budget = createBudget({ limits: { dailyUsd: 2 }, signing: { payees: [PAY_TO] } });
    const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: server.url });

    const res = await fetch(`${server.url}/v1/chat/completions`, post());
    expect(readOutcome(res)).toEqual({
      status: 'charged',
      costUsd: 0.5,
      budgetRemainingUsd: 1.5,
      requestId: 'real-id',
    });
    expect(ours(res).sort()).toEqual(
      [OUTCOME_HEADERS.costUsd, OUTCOME_HEADERS.budgetRemainingUsd, OUTCOME_HEADERS.requestId].sort(),
    );

    const stream = await fetch(`${server.url}/v1/chat/completions`, post(chatBody({ stream: true })));
    expect(ours(stream)).toEqual([]);
    await stream.text();
    expect(await outcomeOf(stream)).toMatchObject({ status: 'charged', costUsd: 0.5, requestId: 'sse-id' });
  });

  it('unpaid passthrough answers, error answers and redirects handed back carry none of them', async () => {
    const server = await hostile((req, res) => {
      if (req.url!.includes('/models')) return json(res, 200, { data: [] }, spoof);
      if (req.url!.includes('/moved')) {
        res.writeHead(307, { location: 'http://127.0.0.1:9/elsewhere', ...spoof });
        res.end();
        return;
      }
      json(res, 400, { error: 'bad' }, spoof);
    });
    const baseURL = `${server.url}/api/v1`;
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
    const fetch = createX402Fetch({
      wallet,
      baseURL,
      estimator: flat(0.001),
    });
    const models = await fetch(`${baseURL}/models`);
    expect(ours(models)).toEqual([]);
    expect(await models.json()).toEqual({ data: [] });
    const error = await fetch(`${baseURL}/chat/completions`, post());
    expect(error.status).toBe(400);
    expect(ours(error)).toEqual([]);
    expect(await outcomeOf(error)).toEqual({ status: 'free', costUsd: 0 });
    const moved = await fetch(`${baseURL}/moved/chat/completions`, post());
    expect(moved.status).toBe(307);
    expect(ours(moved)).toEqual([]);
    const elsewhere = await fetch(`${server.url}/not-the-api/models`);
    expect(ours(elsewhere)).toEqual([]);
  });
});

describe('a stream line that never ends is passed on, never held', () => {
  it('a 2 MiB frame carrying a tiny cost is passed through unread: counted at the hold until reconciled', async () => {
    const huge = `data: ${JSON.stringify({ id: 'huge', choices: [{ delta: { content: 'x'.repeat(2 * 1024 * 1024) } }], cost: { usd: 0.000001 } })}\n\n`;
    const server = await hostile(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (let i = 0; i < huge.length; i += 64 * 1024) res.write(huge.slice(i, i + 64 * 1024));
      res.end('data: [DONE]\n\n');
    });
    const baseURL = `${server.url}/api/v1`;
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
    const budget = createBudget();
    const fetch = createX402Fetch({ wallet, budget, baseURL, estimator: flat(0.005) });
    const res = await fetch(`${baseURL}/chat/completions`, post(chatBody({ stream: true })));
    const text = await res.text();
    expect(text).toBe(`${huge}data: [DONE]\n\n`); // the caller gets every byte
    expect(await outcomeOf(res)).toEqual({ status: 'ambiguous', costUsd: 0.005, requestId: undefined });
    expect((await budget.report()).totalUsd).toBe(0.005);
  });

  it('the watcher holds at most about 1 MiB of a line that never ends (16 MiB streamed)', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('data: {"choices":[{"delta":{"content":"'));
        if (sent++ < 256) controller.enqueue(chunk);
        else controller.close();
      },
    });
    let outcome: SseOutcome | undefined;
    let peak = 0;
    const reader = tapSse(source, (o) => {
      outcome = o;
    }).getReader();
    // Live memory, not garbage: a full collection before each reading.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let n = 0; ; n++) {
      const { done } = await reader.read();
      if (done) break;
      if (n % 16 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - before);
      }
    }
    expect(peak).toBeLessThan(8 * 1024 * 1024); // held whole, the line alone is 16 MiB
    expect(outcome?.unreadLine).toBe(true);
  });
});
