/**
 * Attack on the SSE watcher and on the cost a server claims (2026-12-05): a hostile server sends a long line in
 * small pieces, or a cost no call can have. Real node:http servers; the watcher itself for the piecewise line.
 */
import { createBudget, createEstimator, createWallet, type Estimator } from '@venice-x402/core';
import { createX402Fetch, outcomeOf, readOutcome } from '@venice-x402/fetch';
import fc from 'fast-check';
import { generatePrivateKey } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../packages/fetch/src/clock.js';
import { type SseOutcome, tapLargeJson, tapSse } from '../../../packages/fetch/src/settle.js';
import { chatBody, json, useHostileServers } from './hostile-server.js';

const hostile = useHostileServers();
const flat = (usd: number) => createEstimator({ baseURL: null, defaultEstimateUsd: usd });
const post = (body = chatBody()) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });

/** `text` as a stream of `size`-byte chunks. */
function inPieces(text: string, size: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + size));
      at += size;
    },
  });
}

describe('a line just under the limit, sent 8 bytes at a time', () => {
  // Before, each piece rescanned (and re-flattened) everything held of the line: ~10^11 character copies for this
  // one line, minutes of the event loop. Now each character is looked at a bounded number of times.
  it('is read once, and the cost frame after it still counts', async () => {
    const filler = `data: ${JSON.stringify({ id: 'long', choices: [{ delta: { content: 'x'.repeat(1024 * 1024 - 100) } }] })}\n`;
    const last = `data: ${JSON.stringify({ id: 'long', cost: { usd: 0.0025 } })}\n\ndata: [DONE]\n\n`;
    let outcome: SseOutcome | undefined;
    const reader = tapSse(inPieces(filler + last, 8), (o) => {
      outcome = o;
    }).getReader();
    let bytes = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.length;
    expect(bytes).toBe(new TextEncoder().encode(filler + last).length);
    expect(outcome).toMatchObject({ done: true, cut: false, costMicros: 2500n, requestId: 'long' });
    expect(outcome?.unreadLine).toBeUndefined();
  });
});

describe('a cost no call can have', () => {
  const answers = {
    json: (cost: number) => (_req: unknown, res: any) =>
      json(res, 200, { id: 'absurd', choices: [{ message: { content: 'hi' } }], cost: { usd: cost } }),
    sse: (cost: number) => (_req: unknown, res: any) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify({ id: 'absurd', cost: { usd: cost } })}\n\ndata: [DONE]\n\n`);
    },
  };
  for (const kind of ['json', 'sse'] as const) {
    // 1e308: before, converting it threw a raw RangeError (a JSON answer was lost after it was paid for).
    // 1e20: before, the outcome said "charged $1e20" while the budget counted the hold, ambiguous.
    for (const cost of [1e308, 1e20]) {
      it(`${kind} cost.usd = ${cost}: the answer is delivered, counted at its hold, ambiguous`, async () => {
        const server = await hostile(answers[kind](cost));
        const baseURL = `${server.url}/api/v1`;
        const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
        const budget = createBudget();
        const fetch = createX402Fetch({ wallet, budget, baseURL, estimator: flat(0.005) });
        const res = await fetch(`${baseURL}/chat/completions`, post(chatBody({ stream: kind === 'sse' })));
        expect(res.status).toBe(200);
        expect(await res.text()).toContain('absurd');
        expect(await outcomeOf(res)).toMatchObject({ status: 'ambiguous', costUsd: 0.005 });
        expect(readOutcome(res).costUsd).toBeUndefined(); // nor do the outcome headers claim the absurd cost
        expect((await budget.report()).totalUsd).toBe(0.005);
        await wallet.close();
      });
    }
  }
});

describe('usage no call can have', () => {
  // Before, usage × price past a double's range threw a raw RangeError: a JSON answer was lost after it was paid
  // for; a stream's call never settled (its outcome never came, its hold and in-flight slot stayed taken).
  const priced = () =>
    createEstimator({
      baseURL: null,
      defaultEstimateUsd: 0.005,
      models: [{ id: 'qwen3-4b', type: 'text', input: 2, output: 8, maxCompletionTokens: 100 }],
    });
  const usage = { prompt_tokens: 1e308, completion_tokens: 1e308 };
  for (const kind of ['json', 'sse'] as const) {
    it(`${kind} usage of 1e308 tokens: the answer is delivered and the call ends, counted at its hold, ambiguous`, async () => {
      const server = await hostile((_req, res) => {
        if (kind === 'json') return json(res, 200, { id: 'u', choices: [{ message: { content: 'hi' } }], usage });
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`data: ${JSON.stringify({ id: 'u', usage })}\n\ndata: [DONE]\n\n`);
      });
      const baseURL = `${server.url}/api/v1`;
      const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
      const budget = createBudget();
      const fetch = createX402Fetch({ wallet, budget, baseURL, estimator: priced() });
      const res = await fetch(`${baseURL}/chat/completions`, post(chatBody({ stream: kind === 'sse' })));
      expect(await res.text()).toContain('1e+308');
      const outcome = await outcomeOf(res);
      expect(outcome?.status).toBe('ambiguous');
      expect((await budget.report()).totalUsd).toBe(outcome?.costUsd);
      expect(outcome?.costUsd).toBeGreaterThan(0);
      await wallet.close();
    });
  }
});

describe('the 1 MiB limit, at its edge (holds)', () => {
  const MiB = 1024 * 1024;
  const bytes = (text: string) => new TextEncoder().encode(text);
  /** A `data:` line of exactly `chars` characters of `fill` in `size`-byte chunks, its line end split across two. */
  async function watch(chars: number, fill: string, size: number) {
    const head = 'data: {"id":"edge","cost":{"usd":0.002},"pad":"';
    const line = `${head}${fill.repeat(chars - head.length - 2)}"}`;
    expect(line.length).toBe(chars);
    const pieces: Uint8Array[] = [];
    for (let at = 0, all = bytes(line); at < all.length; at += size) pieces.push(all.subarray(at, at + size));
    pieces.push(bytes('\r'), bytes('\n\r\ndata: [DONE]\n\n'));
    let outcome: SseOutcome | undefined;
    const source = new ReadableStream<Uint8Array>({
      pull: (controller) => (pieces.length ? controller.enqueue(pieces.shift()!) : controller.close()),
    });
    const reader = tapSse(source, (o) => {
      outcome = o;
    }).getReader();
    while (!(await reader.read()).done);
    return outcome;
  }
  // 3-byte characters in 64 KiB + 1 byte chunks: chunk boundaries split characters; CR and LF in separate chunks.
  it('a line of exactly 1 MiB characters is read; one more and it is not, whatever the bytes and the line ends', async () => {
    for (const [fill, size] of [
      ['x', 65_536],
      ['€', 65_537],
    ] as const) {
      expect(await watch(MiB, fill, size)).toMatchObject({ costMicros: 2000n, done: true });
      const over = await watch(MiB + 1, fill, size);
      expect(over).toMatchObject({ unreadLine: true, done: true });
      expect(over?.costMicros).toBeUndefined();
    }
  });
});

describe('however a stream is cut into chunks (holds)', () => {
  const frames = fc.constantFrom(
    'data: {"id":"f","choices":[{"delta":{"content":"h€"}}]}',
    'data: {"usage":{"prompt_tokens":5,"completion_tokens":7}}',
    'data: {"cost":{"usd":0.0031}}',
    ': keep-alive',
    '',
    'data: [DONE]',
    'data: {"usage":\ndata: {"prompt_tokens":2,"completion_tokens":3}}',
  );
  const ends = fc.constantFrom('\n', '\r', '\r\n');
  it('the watcher sees the same frames as when the stream comes in one piece', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(frames, ends), { maxLength: 12 }),
        fc.array(fc.nat(40)),
        async (lines, cuts) => {
          const all = new TextEncoder().encode(lines.map(([line, end]) => line + end).join(''));
          const watch = async (pieces: Uint8Array[]) => {
            let outcome: SseOutcome | undefined;
            const source = new ReadableStream<Uint8Array>({
              pull: (c) => (pieces.length ? c.enqueue(pieces.shift()!) : c.close()),
            });
            const reader = tapSse(source, (o) => {
              outcome = o;
            }).getReader();
            while (!(await reader.read()).done);
            return outcome;
          };
          const pieces: Uint8Array[] = [];
          let at = 0;
          for (const cut of cuts) {
            pieces.push(all.subarray(at, at + cut + 1));
            at += cut + 1;
          }
          pieces.push(all.subarray(at));
          expect(await watch(pieces)).toEqual(await watch([all]));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('settling that throws', () => {
  // An app's own estimator whose price lookup fails when the answer is settled. Before, a JSON answer was lost
  // (the caller got the estimator's error after paying) and a stream's call never ended.
  const failingPricing: Estimator = {
    estimate: async () => ({ micros: 5000n, basis: 'default' }),
    pricing: async () => {
      throw new Error('price list unreachable');
    },
    refresh: async () => {},
  };
  for (const kind of ['json', 'sse'] as const) {
    it(`${kind}: the answer is delivered and the call ends, counted at its hold, ambiguous`, async () => {
      const usage = { prompt_tokens: 3, completion_tokens: 4 };
      const server = await hostile((_req, res) => {
        if (kind === 'json') return json(res, 200, { id: 'p', choices: [{ message: { content: 'hi' } }], usage });
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`data: ${JSON.stringify({ id: 'p', usage })}\n\ndata: [DONE]\n\n`);
      });
      const baseURL = `${server.url}/api/v1`;
      const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
      const budget = createBudget();
      const fetch = createX402Fetch({ wallet, budget, baseURL, estimator: failingPricing });
      const res = await fetch(`${baseURL}/chat/completions`, post(chatBody({ stream: kind === 'sse' })));
      expect(await res.text()).toContain('"p"');
      expect(await outcomeOf(res)).toMatchObject({ status: 'ambiguous', costUsd: 0.005 });
      expect((await budget.report()).totalUsd).toBe(0.005);
      await wallet.close();
    });
  }
});

describe('a frame of an unexpected shape', () => {
  // `tool_calls: {"map": 1}` made the watcher throw: the rest of that chunk (here the cost, and the end) went unread,
  // and the call was charged its hold instead of the cost the server reported.
  it('does not hide the frames after it in the same chunk', async () => {
    const text = [
      'data: {"id":"odd","choices":[{"delta":{"tool_calls":{"map":1}}}]}',
      'data: {"id":"odd","cost":{"usd":0.02}}',
      'data: [DONE]',
      '',
    ].join('\n\n');
    let outcome: SseOutcome | undefined;
    const reader = tapSse(inPieces(text, text.length), (o) => {
      outcome = o;
    }).getReader();
    while (!(await reader.read()).done);
    expect(outcome).toMatchObject({ costMicros: 20_000n, done: true });
  });
});

describe('a JSON body too large to buffer, sent in tiny pieces', () => {
  it('still settles from its head and tail (300 kB in 7-byte pieces: the kept tail is trimmed as it goes)', async () => {
    const body = JSON.stringify({
      id: 'tiny-pieces',
      model: 'm',
      filler: 'y'.repeat(300_000),
      usage: { prompt_tokens: 3, completion_tokens: 4 },
      cost: { usd: 0.0042 },
    });
    let facts: Parameters<Parameters<typeof tapLargeJson>[1]>[0] | undefined;
    const out = tapLargeJson(inPieces(body, 7), (f) => void (facts = f), 60_000, systemClock);
    expect(new TextDecoder().decode(await new Response(out).arrayBuffer())).toBe(body);
    expect(facts).toEqual({
      costMicros: 4200n,
      usage: { promptTokens: 3, completionTokens: 4 },
      requestId: 'tiny-pieces',
      model: 'm',
    });
  });
});

describe('an event whose JSON is split over several data lines (the SSE format joins them)', () => {
  const watch = async (text: string, piece: number) => {
    let outcome: SseOutcome | undefined;
    const reader = tapSse(inPieces(text, piece), (o) => {
      outcome = o;
    }).getReader();
    while (!(await reader.read()).done);
    return outcome;
  };

  it('is read joined, in one piece or cut anywhere, CRLF split included: the cost the server reported is charged', async () => {
    const text = [
      'data: {"id":"split","model":"m",\r\ndata: "usage":{"prompt_tokens":5,"completion_tokens":7},\r\ndata: "cost":{"usd":0.0031}}',
      'data: [DONE]',
      '',
    ].join('\r\n\r\n');
    for (const piece of [text.length, 1, 2, 7, 31]) {
      expect(await watch(text, piece)).toMatchObject({
        requestId: 'split',
        costMicros: 3100n,
        usage: { promptTokens: 5, completionTokens: 7 },
        done: true,
      });
    }
  });

  it('lines that each read on their own are read once each, never again joined (no double count)', async () => {
    const text =
      'data: {"id":"a","choices":[{"delta":{"content":"x"}}]}\ndata: {"cost":{"usd":0.001}}\n\ndata: [DONE]\n\n';
    expect(await watch(text, 5)).toMatchObject({ costMicros: 1000n, streamedTokens: 1, done: true });
  });

  it('a paid stream whose last event is split is charged its reported cost, not its hold', async () => {
    const server = await hostile((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"id":"split","choices":[{"delta":{"content":"hi"}}]}\n\n');
      res.end('data: {"id":"split",\ndata: "cost":{"usd":0.0007}}\n\ndata: [DONE]\n\n');
    });
    const baseURL = `${server.url}/api/v1`;
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { baseURL });
    const budget = createBudget();
    const paid = createX402Fetch({ wallet, budget, baseURL, estimator: flat(0.01) });
    const res = await paid(`${baseURL}/chat/completions`, post(chatBody({ stream: true })));
    await res.text();
    expect(await outcomeOf(res)).toMatchObject({ status: 'charged', costUsd: 0.0007 });
  });
});
