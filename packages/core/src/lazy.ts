import { createRequire } from 'node:module';
import { ConfigError } from './errors.js';
import { importOptionalPeer } from './optional-peer.js';

/**
 * Heavy dependencies load on first use, not on import: `import('@venice-x402/fetch')` stays cheap and
 * signing, schema and curve code arrive with the first wallet, policy or payment.
 */
const require = createRequire(import.meta.url);

export function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}

export const zod = lazy(() => require('zod/v4') as typeof import('zod/v4'));
export const viem = lazy(() => require('viem') as typeof import('viem'));
export const viemAccounts = lazy(() => require('viem/accounts') as typeof import('viem/accounts'));
export const viemSiwe = lazy(() => require('viem/siwe') as typeof import('viem/siwe'));

/** 0x + 40 hex digits, any case (the checks we need before a checksum is computed). */
export const isHexAddress = (value: unknown): value is `0x${string}` =>
  typeof value === 'string' && /^0x[0-9a-fA-F]{40}$/.test(value);

/** Solana payments need two optional packages; without them a Solana wallet can sign in but not pay. */
export const SOLANA_PACKAGES_MISSING =
  'Solana payments need the optional packages @solana/kit and @x402/svm: npm install @solana/kit @x402/svm';

/** @solana/kit (codecs, transaction decoding): loaded by the first Solana payment. */
export const solanaKit = lazy(() =>
  importOptionalPeer<typeof import('@solana/kit')>('@solana/kit').catch((error) => {
    throw missingSolana(error);
  }),
);

/** A typed error when an optional Solana package is not installed; anything else as it was. */
export function missingSolana(error: unknown): unknown {
  return (error as { code?: string })?.code === 'MODULE_NOT_FOUND' ||
    (error as { code?: string })?.code === 'ERR_MODULE_NOT_FOUND'
    ? new ConfigError(SOLANA_PACKAGES_MISSING)
    : error;
}
