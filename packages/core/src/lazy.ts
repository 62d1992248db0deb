import { createRequire } from 'node:module';

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

/** @solana/kit (codecs, transaction decoding): loaded by the first Solana payment. */
export const solanaKit = lazy(() => require('@solana/kit') as typeof import('@solana/kit'));
