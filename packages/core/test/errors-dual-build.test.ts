/**
 * Issue 26.7: an app that loads both builds (an ESM file and a CommonJS dependency) gets errors from one copy and
 * classes from the other. `instanceof` and `isInstance` must answer alike across them. Built with tsup, as published.
 */
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'tsup';
import { afterAll, beforeAll, expect, it } from 'vitest';

const core = fileURLToPath(new URL('..', import.meta.url));
// Inside the package, so the builds resolve its dependencies as the published ones do.
const outDir = `${core}node_modules/.cache/errors-dual-build-${process.pid}`;
type Core = typeof import('../src/index.js');
let esm: Core;
let cjs: Core;

beforeAll(async () => {
  await build({
    config: false,
    entry: [`${core}src/index.ts`],
    format: ['esm', 'cjs'],
    outDir,
    shims: true,
    platform: 'node',
    target: 'node20',
    dts: false,
    silent: true,
  });
  esm = await import(pathToFileURL(`${outDir}/index.js`).href);
  cjs = createRequire(import.meta.url)(`${outDir}/index.cjs`);
}, 60_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const ERRORS = [
  'InvalidKeyError',
  'ConfigError',
  'AuthError',
  'PaymentRequiredError',
  'QuoteRejectedError',
  'TopUpError',
  'BudgetExceededError',
  'NetworkError',
  'ProtocolError',
  'HttpError',
  'StoreError',
  'ReservationSettledError',
  'TimeoutError',
  'PolicyDeniedError',
] as const;

function make(lib: Core, name: (typeof ERRORS)[number]): Error {
  const C = lib[name] as unknown as new (...args: unknown[]) => Error;
  if (name === 'HttpError') return new C(500, 'boom');
  if (name === 'QuoteRejectedError') return new C('amount', 'boom');
  if (name === 'ReservationSettledError') return new C('r1', 'commit');
  return new C('boom', {});
}

it('the two builds are two copies (else this test would prove nothing)', () => {
  expect(esm.ConfigError).not.toBe(cjs.ConfigError);
});

it('an error thrown by either build is instanceof / isInstance of the other build’s class and of X402Error', () => {
  for (const name of ERRORS) {
    for (const [from, to] of [
      [cjs, esm],
      [esm, cjs],
    ] as const) {
      const error = make(from, name);
      const Cls = to[name] as unknown as { isInstance(v: unknown): boolean } & (new (...a: never[]) => Error);
      expect(error instanceof Cls, name).toBe(true);
      expect(Cls.isInstance(error), name).toBe(true);
      expect(error instanceof to.X402Error, name).toBe(true);
      expect(to.X402Error.isInstance(error), name).toBe(true);
      expect(error instanceof Error).toBe(true);
    }
  }
});

it('and is not an instance of a sibling class, in either build', () => {
  const auth = make(cjs, 'AuthError');
  for (const lib of [esm, cjs]) {
    expect(auth instanceof lib.ConfigError).toBe(false);
    expect(lib.BudgetExceededError.isInstance(auth)).toBe(false);
    expect(lib.X402Error.isInstance(new Error('plain'))).toBe(false);
    expect(lib.X402Error.isInstance({ code: 'AUTH_FAILED' })).toBe(false);
    expect(lib.X402Error.isInstance(null)).toBe(false);
  }
  expect(make(esm, 'PolicyDeniedError') instanceof cjs.BudgetExceededError).toBe(false);
});

it('a subclass of the app’s own keeps ordinary instanceof', () => {
  class AppError extends esm.AuthError {}
  const mine = new AppError('boom');
  expect(mine instanceof AppError).toBe(true);
  expect(mine instanceof cjs.AuthError).toBe(true);
  expect(make(cjs, 'AuthError') instanceof AppError).toBe(false);
});
