/**
 * Parsers against arbitrary input: only typed errors, never a crash or a hang.
 * FUZZ_RUNS sets cases per property (default 1,000 in the suite: 6 properties × 1,000 + SSE 200 ≈ 6k cases).
 * The long run documented in bench/BENCHMARKS.md: FUZZ_RUNS=17000 (6 × 17,000 + 3,400 = 105,400 cases).
 */
import {
  createSignInFactory,
  createWallet,
  decodePaymentResponse,
  readPaymentRequired,
  X402Error,
} from '@venice-x402/core';
import { decodeBase64Json, findSiwxChallenge, parseUsdString, x402Schemas } from '@venice-x402/core/internal';
import fc from 'fast-check';
import { generatePrivateKey } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { tapSse } from '../../packages/fetch/src/settle.js';

const runs = Number(process.env.FUZZ_RUNS ?? 1000);
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');

/** Only our typed errors may escape. */
function typedOnly(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof X402Error)) throw error;
  }
}

const jsonish = fc.jsonValue({ maxDepth: 4 });
const quoteLike = fc.record(
  {
    x402Version: fc.oneof(fc.constant(2), fc.constant(1), fc.integer(), fc.string()),
    accepts: fc.oneof(
      fc.array(
        fc.record(
          {
            scheme: fc.oneof(fc.constant('exact'), fc.string()),
            network: fc.oneof(fc.constant('eip155:8453'), fc.constant('base'), fc.string()),
            amount: fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String), fc.string(), fc.integer()),
            asset: fc.oneof(fc.constant('0x833589fcd6edb6e08f4c7c32d4f71b54bda02913'), fc.string()),
            payTo: fc.oneof(fc.constant('0x1111111111111111111111111111111111111111'), fc.string()),
            maxTimeoutSeconds: fc.oneof(fc.nat(), fc.integer(), fc.double()),
            extra: fc.oneof(fc.constant({ name: 'USD Coin', version: '2' }), jsonish),
          },
          { requiredKeys: [] },
        ),
      ),
      jsonish,
    ),
  },
  { requiredKeys: [] },
);

describe('fuzz: x402 parsers', () => {
  it('PAYMENT-REQUIRED from arbitrary headers and bodies', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), quoteLike.map(b64), fc.string().map(b64)),
        fc.oneof(jsonish, quoteLike),
        (header, body) => {
          typedOnly(() => readPaymentRequired(header, body));
        },
      ),
      { numRuns: runs },
    );
  });

  it('PAYMENT-RESPONSE headers', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), jsonish.map(b64), fc.base64String()), (header) => {
        typedOnly(() => decodePaymentResponse(header));
      }),
      { numRuns: runs },
    );
  });

  it('payment payloads (v2, hybrid, v1) never throw from safeParse', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          jsonish,
          fc.record({
            x402Version: fc.integer(),
            scheme: fc.string(),
            network: fc.string(),
            payload: jsonish,
            accepted: quoteLike,
          }),
        ),
        (value) => {
          x402Schemas().paymentPayloadSchema.safeParse(value);
        },
      ),
      { numRuns: runs },
    );
  });

  it('base64 JSON decoding', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (value) => {
        typedOnly(() => decodeBase64Json(value, 'x'));
      }),
      { numRuns: runs },
    );
  });

  it('balance headers parse to micro-USD or undefined, never a wrong sign', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.double().map(String),
          fc.nat().map((n) => `${n}.${n}`),
        ),
        (value) => {
          const micros = parseUsdString(value);
          expect(micros === undefined || micros >= 0n).toBe(true);
        },
      ),
      { numRuns: runs },
    );
  });

  it('402 bodies and Sign-In-With-X challenges', () => {
    const wallet = createWallet({ privateKey: generatePrivateKey() }, { signIn: { presign: 0 } });
    const factory = createSignInFactory(wallet.signer, 'https://api.venice.ai/api/v1');
    fc.assert(
      fc.property(
        fc.oneof(
          jsonish,
          fc.record({
            siwxChallenge: fc.record({
              info: fc.record({ domain: fc.string(), uri: fc.string(), statement: fc.string() }, { requiredKeys: [] }),
            }),
          }),
        ),
        (body) => {
          const challenge = findSiwxChallenge(body);
          if (challenge) factory.applyChallenge(challenge, 'https://api.venice.ai');
        },
      ),
      { numRuns: runs },
    );
  });
});

describe('fuzz: SSE framing', () => {
  const frame = fc.oneof(
    fc.constant('data: [DONE]\n\n'),
    fc
      .record({ content: fc.string() })
      .map((d) => `data: ${JSON.stringify({ id: 'c1', choices: [{ delta: d }] })}\n\n`),
    fc
      .record({ usd: fc.double({ min: 0, max: 1, noNaN: true }) })
      .map(
        (c) =>
          `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 }, cost: c })}\n\n`,
      ),
    fc.string().map((s) => `data: ${s}\n\n`),
    fc.string(),
  );

  it('any split of any frames passes through byte-identical and settles exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(frame, { maxLength: 12 }),
        fc.array(fc.nat({ max: 64 }), { maxLength: 12 }),
        async (frames, cuts) => {
          const bytes = new TextEncoder().encode(frames.join(''));
          const chunks: Uint8Array[] = [];
          let at = 0;
          for (const c of cuts) {
            if (at >= bytes.length) break;
            chunks.push(bytes.slice(at, at + c + 1));
            at += c + 1;
          }
          if (at < bytes.length) chunks.push(bytes.slice(at));
          let settled = 0;
          const source = new ReadableStream<Uint8Array>({
            start(controller) {
              for (const c of chunks) controller.enqueue(c);
              controller.close();
            },
          });
          const out = tapSse(source, () => settled++);
          const received = new Uint8Array(await new Response(out).arrayBuffer());
          expect(Buffer.from(received).equals(Buffer.from(bytes))).toBe(true);
          expect(settled).toBe(1);
        },
      ),
      { numRuns: Math.max(50, Math.floor(runs / 5)) },
    );
  });
});
