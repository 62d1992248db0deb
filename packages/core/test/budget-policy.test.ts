/**
 * The budget policy as parsed: every default that bounds spending, and errors that say exactly what is wrong.
 * A default that drifts (a larger payment cap, a longer hold, auto top-up on) or an invalid limit that is dropped
 * instead of refused lets an agent spend what its owner never allowed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { limitsToMicros, signingPolicyOf } from '../src/budget/policy.js';
import { ConfigError, loadPolicyFile, parsePolicy } from '../src/index.js';

const BASE_USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';
const SOLANA_USDC = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';
const SOLANA = 'solana:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('policy defaults', () => {
  const defaults = {
    limits: {},
    scopes: {},
    models: {},
    routes: {},
    signing: {
      networks: ['eip155:8453', SOLANA],
      assets: [BASE_USDC, SOLANA_USDC],
      payees: [],
      maxTimeoutSeconds: 900,
      maxPaymentUsd: 1,
    },
    topUp: { auto: false, amountUsd: 10, maxPerDayUsd: 50, maxCount: 10, minIntervalSeconds: 60 },
    reservationTtlSeconds: 600,
    defaultEstimateUsd: 0.05,
    warnAt: 0.8,
  };

  it('an empty or absent policy gets every bounded default', () => {
    expect(parsePolicy(undefined)).toEqual(defaults);
    expect(parsePolicy({})).toEqual(defaults);
  });

  it('a partly written section gets the same defaults for the rest', () => {
    expect(parsePolicy({ signing: { maxPaymentUsd: 2 } }).signing).toEqual({ ...defaults.signing, maxPaymentUsd: 2 });
    expect(parsePolicy({ signing: { maxTimeoutSeconds: 86_400 } }).signing.maxTimeoutSeconds).toBe(86_400);
    expect(() => parsePolicy({ signing: { maxTimeoutSeconds: 86_401 } })).toThrow(ConfigError);
    expect(parsePolicy({ signing: { payees: ['0xabc'] } }).signing).toEqual({ ...defaults.signing, payees: ['0xabc'] });
    expect(parsePolicy({ topUp: { auto: true } }).topUp).toEqual({ ...defaults.topUp, auto: true });
  });

  it('the signing policy carries the payment cap in micro-USD', () => {
    const signing = signingPolicyOf(parsePolicy({ signing: { maxPaymentUsd: 0.25, payees: ['0xabc'] } }));
    expect(signing).toEqual({
      networks: defaults.signing.networks,
      assets: defaults.signing.assets,
      payees: ['0xabc'],
      maxTimeoutSeconds: 900,
      maxAmountMicros: 250_000n,
    });
    expect(signingPolicyOf(parsePolicy({})).maxAmountMicros).toBe(1_000_000n);
  });

  it('limits become micro-USD, each window its own, absent ones absent', () => {
    expect(
      limitsToMicros({ perRequestUsd: 0.000001, hourlyUsd: 1, dailyUsd: 2, monthlyUsd: 3.5, totalUsd: 1_000 }),
    ).toEqual({
      perRequest: 1n,
      hourly: 1_000_000n,
      daily: 2_000_000n,
      monthly: 3_500_000n,
      total: 1_000_000_000n,
    });
    expect(limitsToMicros({ dailyUsd: 0 })).toEqual({
      perRequest: undefined,
      hourly: undefined,
      daily: 0n,
      monthly: undefined,
      total: undefined,
    });
  });
});

describe('invalid policies', () => {
  it('a limit out of range is refused, at its path, in every window and in every scope', () => {
    for (const window of ['perRequestUsd', 'hourlyUsd', 'dailyUsd', 'monthlyUsd', 'totalUsd']) {
      expect(configError(() => parsePolicy({ limits: { [window]: -1 } })).message).toBe(
        `Invalid budget policy: limits.${window}: Too small: expected number to be >=0`,
      );
      expect(configError(() => parsePolicy({ scopes: { 'agent:a': { [window]: 2e9 } } })).message).toBe(
        `Invalid budget policy: scopes["agent:a"].${window}: must be at most $1,000,000,000`,
      );
    }
    expect(() => parsePolicy({ limits: { dailyUsd: 1e9 } })).not.toThrow();
    expect(configError(() => parsePolicy({ scopes: { 'agent:a': { dailyUsd: 'x' } } })).details.issues).toEqual([
      'scopes["agent:a"].dailyUsd: Invalid input: expected number, received string',
    ]);
  });

  it('a valid scope keeps its limits beside an invalid policy elsewhere being refused whole', () => {
    const policy = parsePolicy({ scopes: { 'agent:a': { dailyUsd: 1 } } });
    expect(policy.scopes['agent:a']).toEqual({ dailyUsd: 1 });
    expect(() => parsePolicy({ scopes: { 'agent:a': { dailyUsd: 1 } }, limits: { dailyUsd: -1 } })).toThrow(
      ConfigError,
    );
  });

  it('scopes that are not an object of limits are refused, not dropped (their agents would run unlimited)', () => {
    for (const scopes of [5, 'agent:a', [{ dailyUsd: 1 }], null, true])
      expect(configError(() => parsePolicy({ scopes })).details.issues, JSON.stringify(scopes)).toEqual([
        'scopes: must be an object of limits by scope',
      ]);
    expect(parsePolicy({ scopes: {} }).scopes).toEqual({});
  });

  it('names every scope name that cannot be one', () => {
    const error = configError(() => parsePolicy({ scopes: { 'a/b': {}, ' x': {}, '': {}, global: {} } }));
    expect(error.details.issues).toEqual([
      'scopes["a/b"]: this scope name contains "/", which separates the scopes of a chain',
      'scopes[" x"]: this scope name starts or ends with a space',
      'scopes[""]: this scope name is empty',
      'scopes["global"]: this scope name is the global scope (its limits go under `limits`)',
    ]);
    expect(error.message).toBe(
      'Invalid budget policy: scopes["a/b"]: this scope name contains "/", which separates the scopes of a chain; ' +
        'scopes[" x"]: this scope name starts or ends with a space; scopes[""]: this scope name is empty (and 1 more)',
    );
  });

  it('shows three problems in the message, at most ten in the details, and counts the rest', () => {
    const scopes = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`a${i}/b`, {}]));
    const error = configError(() => parsePolicy({ scopes }));
    expect(error.details.issues).toHaveLength(10);
    expect(error.message).toMatch(/ \(and 9 more\)$/);
    expect(error.message.split('; ')).toHaveLength(3);
    const three = configError(() => parsePolicy({ scopes: { 'a/b': {}, 'c/d': {}, 'e/f': {} } }));
    expect(three.message).not.toContain('more');
  });

  it('paths: array indexes in brackets, unknown fields counted (never named), a non-object at the root', () => {
    const error = configError(() => parsePolicy({ models: { allow: [1] }, foo: 1, bar: 2 }));
    expect(error.details.issues).toEqual([
      'models.allow[0]: Invalid input: expected string, received number',
      '(root): 2 unknown fields',
    ]);
    expect(configError(() => parsePolicy({ limits: { x: 1 } })).details.issues).toEqual(['limits: 1 unknown field']);
    expect(configError(() => parsePolicy('x')).message).toBe(
      'Invalid budget policy: (root): Invalid input: expected object, received string',
    );
    expect(configError(() => parsePolicy({ signing: { 'not-plain': 1 } })).details.issues).toEqual([
      'signing: 1 unknown field',
    ]);
  });

  it('a top-up amount or TTL outside its bounds is refused', () => {
    for (const bad of [{ topUp: { amountUsd: 4 } }, { topUp: { maxCount: 1.5 } }, { reservationTtlSeconds: 0 }])
      expect(() => parsePolicy(bad)).toThrow(ConfigError);
    expect(configError(() => parsePolicy({ warnAt: 2 })).details.issues).toEqual([
      'warnAt: Too big: expected number to be <=1',
    ]);
  });
});

describe('policy files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vx402-policy-'));

  it('reads a JSON policy file', () => {
    const path = join(dir, 'ok.json');
    writeFileSync(path, JSON.stringify({ limits: { dailyUsd: 3 } }));
    expect(loadPolicyFile(path).limits).toEqual({ dailyUsd: 3 });
  });

  it('a missing file, a file that is not JSON and an invalid policy are each a ConfigError saying which', () => {
    const missing = join(dir, 'missing.json');
    const error = configError(() => loadPolicyFile(missing));
    expect(error.message).toBe(`Cannot read budget policy file ${missing}`);
    expect(error.details.cause).toMatch(/ENOENT/);
    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '{ "limits": ');
    expect(configError(() => loadPolicyFile(notJson)).message).toBe(`Budget policy file ${notJson} is not valid JSON`);
    const invalid = join(dir, 'invalid.json');
    writeFileSync(invalid, JSON.stringify({ limits: { dailyUsd: -1 } }));
    expect(configError(() => loadPolicyFile(invalid)).message).toBe(
      'Invalid budget policy: limits.dailyUsd: Too small: expected number to be >=0',
    );
  });
});
