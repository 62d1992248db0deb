import { getBase58Codec } from '@solana/kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QuoteRejectedError, SOLANA_NETWORK, SOLANA_USDC } from '../src/index.js';
import { base58Decode, base58Encode, isSolanaAddress, normalizeNetwork, selectRequirement } from '../src/internal.js';
import { defaultSigningPolicy } from '../src/x402/quote.js';

describe('base58', () => {
  it('agrees with @solana/kit both ways, leading zero bytes included', () => {
    const kit = getBase58Codec();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const text = base58Encode(bytes);
        expect(text).toBe(kit.decode(bytes));
        expect([...base58Decode(text)!]).toEqual([...bytes]);
      }),
      { numRuns: 500 },
    );
    expect(base58Decode('0OIl')).toBeUndefined();
    expect(isSolanaAddress(SOLANA_USDC)).toBe(true);
    expect(isSolanaAddress(base58Encode(new Uint8Array(31).fill(7)))).toBe(false);
    expect(isSolanaAddress('0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913')).toBe(false);
  });
});

describe('Solana quotes', () => {
  const option = {
    scheme: 'exact',
    network: 'solana',
    amount: '10000',
    asset: SOLANA_USDC,
    payTo: 'GSg4Q336Ya4aNJ9wHBXRhGtDAgV7VApshr8NXxoPSkUo',
    maxTimeoutSeconds: 60,
    extra: { feePayer: '7a85XKyydFfYFRVcfPqcgT1x6SoLRryddoY6JofZEY29' },
  };
  const base = {
    ...option,
    network: 'eip155:8453',
    asset: '0x833589fcd6edb6e08f4c7c32d4f71b54bda02913',
    payTo: '0x1111111111111111111111111111111111111111',
    amount: '1',
    extra: { name: 'USD Coin', version: '2' },
  };

  it('keeps the case of a Solana genesis hash; `solana` is mainnet', () => {
    expect(normalizeNetwork('SOLANA:5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp')).toBe(SOLANA_NETWORK);
    expect(normalizeNetwork(' solana ')).toBe(SOLANA_NETWORK);
    expect(normalizeNetwork('EIP155:8453')).toBe('eip155:8453');
  });

  it('each wallet picks only its own chain, even when the other is cheaper', () => {
    const quote = { x402Version: 2, accepts: [base, option] };
    const solana = selectRequirement(quote, defaultSigningPolicy, 'solana');
    expect(solana).toMatchObject({ family: 'solana', network: SOLANA_NETWORK, feePayer: option.extra.feePayer });
    expect(selectRequirement(quote, defaultSigningPolicy)).toMatchObject({ family: 'evm', payTo: base.payTo });
    expect(() => selectRequirement({ x402Version: 2, accepts: [option] }, defaultSigningPolicy)).toThrow(
      QuoteRejectedError,
    );
  });

  it('compares mints and payees exactly: a case-folded address is another address', () => {
    const quote = (o: object) => ({ x402Version: 2, accepts: [{ ...option, ...o }] });
    const reason = (o: object, policy = defaultSigningPolicy) => {
      try {
        selectRequirement(quote(o), policy, 'solana');
        return 'accepted';
      } catch (error) {
        return (error as QuoteRejectedError).reason;
      }
    };
    expect(reason({})).toBe('accepted');
    expect(reason({ asset: SOLANA_USDC.toLowerCase() })).toBe('asset');
    expect(reason({}, { ...defaultSigningPolicy, payees: [option.payTo.toLowerCase()] })).toBe('payee');
    expect(reason({}, { ...defaultSigningPolicy, payees: [option.payTo] })).toBe('accepted');
    expect(reason({ extra: { feePayer: 'nope' } })).toBe('malformed');
    expect(reason({ extra: { feePayer: option.extra.feePayer, memo: 'x'.repeat(257) } })).toBe('malformed');
    expect(reason({ amount: '2000000' }, { ...defaultSigningPolicy, maxAmountMicros: 1_000_000n })).toBe('amount');
  });
});
