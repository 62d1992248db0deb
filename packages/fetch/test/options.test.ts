import { inspect } from 'node:util';
import { ConfigError, createBudget } from '@venice-x402/core';
import { describe, expect, it } from 'vitest';
import { createX402Fetch, type X402FetchOptions } from '../src/index.js';

const CANARY = 'sk-canary-0123456789';
const baseURL = 'https://api.venice.ai/api/v1';

function refusal(options: unknown): ConfigError {
  try {
    createX402Fetch(options as X402FetchOptions);
  } catch (error) {
    expect(ConfigError.isInstance(error)).toBe(true);
    const e = error as ConfigError;
    for (const text of [e.message, JSON.stringify(e), inspect(e)]) {
      expect(text).not.toContain(CANARY);
      expect(text).not.toContain('0x59c6995e998f97a5');
      expect(text).not.toContain('abc123def456');
    }
    return e;
  }
  throw new Error('accepted');
}

describe('createX402Fetch refuses an option it does not know, naming it and the likely one', () => {
  const typos: [string, string][] = [
    ['refusl', 'refusal'],
    ['scopes', 'scope'],
    ['quotecache', 'quoteCache'],
    ['quoteCached', 'quoteCache'],
    ['mod', 'mode'],
    ['timeout', 'timeoutMs'],
    ['maxRetries2', 'maxRetries'],
  ];
  for (const [typo, meant] of typos)
    it(`${typo} → did you mean ${meant}`, () => {
      const e = refusal({ apiKey: CANARY, baseURL, [typo]: CANARY });
      expect(e.message).toContain(`unknown option \`${typo}\` (did you mean \`${meant}\`?)`);
      expect(e.details.option).toBe(typo);
    });

  it('a key that does not look like a name (a pasted secret) is not shown', () => {
    for (const key of [CANARY, '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', 'abc123def456'])
      expect(refusal({ apiKey: 'k', [key]: 1 }).message).toMatch(
        /^createX402Fetch: unknown option \(its name is not shown\)\. Options: /,
      );
  });

  it('an option far from any lists them all, and never echoes its value', () => {
    const e = refusal({ apiKey: CANARY, privateKey: CANARY });
    expect(e.message).toMatch(/unknown option `privateKey`\. Options: wallet, apiKey, budget/);
  });
});

describe('createX402Fetch refuses a value of the wrong kind, saying what the option accepts', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ refusal: 'throws' }, /option `refusal` must be 'auto' or 'throw'$/],
    [{ mode: 'paygo' }, /option `mode` must be 'venice', 'payg' or 'auto'$/],
    [{ quoteCache: 'yes' }, /option `quoteCache` must be true or false$/],
    [{ scope: 42 }, /option `scope` must be a scope id or an array of scope ids/],
    [{ scope: [''] }, /option `scope` must be a scope id/],
    [{ maxRetries: -1 }, /option `maxRetries` must be an integer ≥ 0$/],
    [{ timeoutMs: Number.POSITIVE_INFINITY }, /option `timeoutMs` must be an integer ≥ 1$/],
    [{ baseURL: 'api.venice.ai' }, /option `baseURL` must be an http\(s\) URL$/],
    [{ payOrigins: ['ftp://x'] }, /option `payOrigins` must be an array of http\(s\) URLs$/],
    [{ budget: { limits: {} } }, /option `budget` must be a budget from createBudget\(\)$/],
    [{ wallet: CANARY }, /option `wallet` must be a wallet from createWallet\(\)$/],
    [{ fetch: 'fetch-canary-value' }, /option `fetch` must be a fetch function$/],
  ];
  for (const [options, message] of cases)
    it(JSON.stringify(options), () => {
      const e = refusal({ apiKey: CANARY, baseURL, ...options });
      expect(e.message).toMatch(message);
      const value = String(Object.values(options)[0]);
      if (value.length > 3) expect(e.message).not.toContain(value);
    });

  it('a key of the wrong kind is named, not shown', () => {
    const e = refusal({ apiKey: { secret: CANARY }, baseURL });
    expect(e.message).toBe('createX402Fetch option `apiKey` must be a non-empty string');
  });
});

it('accepts every valid option, and undefined for any of them', () => {
  const options: Required<Omit<X402FetchOptions, 'wallet' | 'estimator'>> = {
    apiKey: CANARY,
    budget: createBudget(),
    baseURL,
    mode: 'auto',
    payOrigins: ['https://gateway.example'],
    fetch: globalThis.fetch,
    scope: ['team:research', 'agent:planner'],
    maxInFlight: 5,
    maxRetries: 0,
    maxRetryDelayMs: 0,
    quoteCache: true,
    timeoutMs: 1000,
    streamIdleTimeoutMs: 1000,
    refusal: 'throw',
    maxBufferedBodyBytes: 0,
    autoMaxTokens: false,
    clock: {
      now: Date.now,
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    },
  };
  expect(typeof createX402Fetch(options)).toBe('function');
  expect(typeof createX402Fetch({ apiKey: CANARY, wallet: undefined, scope: undefined, refusal: undefined })).toBe(
    'function',
  );
});
