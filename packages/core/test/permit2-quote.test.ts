import * as x402Evm from '@x402/evm';
import { type Abi, type AbiFunction, getAbiItem, parseAbi, toFunctionSelector } from 'viem';
import { describe, expect, it } from 'vitest';
import { BASE_NETWORK, BASE_USDC, type PaymentRequired, QuoteRejectedError } from '../src/index.js';
import { type EvmAcceptedRequirement, permit2Contracts, selectRequirement } from '../src/internal.js';
import { defaultSigningPolicy } from '../src/x402/quote.js';
import { UPTO_PROXY_SETTLE_ABI } from '../src/x402/upto-settlement.js';

const PAY_TO = '0x1111111111111111111111111111111111111111';
const FACILITATOR = '0x2222222222222222222222222222222222222222';
const policy = { ...defaultSigningPolicy, maxAmountMicros: 1_000_000n };

const option = (scheme: string, amount: number, extra: Record<string, unknown> = {}) => ({
  scheme,
  network: BASE_NETWORK,
  amount: String(amount),
  asset: BASE_USDC,
  payTo: PAY_TO,
  maxTimeoutSeconds: 60,
  extra: {
    name: 'USD Coin',
    version: '2',
    ...(scheme === 'upto' ? { assetTransferMethod: 'permit2', facilitatorAddress: FACILITATOR } : {}),
    ...extra,
  },
});
const quoteOf = (...accepts: ReturnType<typeof option>[]): PaymentRequired => ({ x402Version: 2, accepts });
const rejection = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(QuoteRejectedError);
    return (error as QuoteRejectedError).reason;
  }
  throw new Error('not refused');
};

describe('x402 quotes: upto and exact over Permit2', () => {
  it('are refused unless the caller signs Permit2 schemes (Venice top-ups sign EIP-3009 only), and in v1 quotes', () => {
    const upto = quoteOf(option('upto', 10));
    const exactPermit2 = quoteOf(option('exact', 10, { assetTransferMethod: 'permit2' }));
    expect(rejection(() => selectRequirement(upto, policy))).toBe('scheme');
    expect(rejection(() => selectRequirement(exactPermit2, policy))).toBe('scheme');
    expect(rejection(() => selectRequirement({ ...upto, x402Version: 1 }, policy, 'evm', { permit2: true }))).toBe(
      'scheme',
    );
    const accepted = selectRequirement(upto, policy, 'evm', { permit2: true }) as EvmAcceptedRequirement;
    expect([accepted.scheme, accepted.transfer, accepted.amountMicros]).toEqual(['upto', 'permit2', 10n]);
    expect((selectRequirement(exactPermit2, policy, 'evm', { permit2: true }) as EvmAcceptedRequirement).transfer).toBe(
      'permit2',
    );
  });

  it('prefer upto at an equal amount, whatever the order; otherwise the cheapest', () => {
    const pick = (...accepts: ReturnType<typeof option>[]) =>
      selectRequirement(quoteOf(...accepts), policy, 'evm', { permit2: true }) as EvmAcceptedRequirement;
    expect(pick(option('exact', 10), option('upto', 10)).scheme).toBe('upto');
    expect(pick(option('upto', 10), option('exact', 10)).scheme).toBe('upto');
    expect(pick(option('upto', 11), option('exact', 10)).scheme).toBe('exact');
    expect(pick(option('exact', 10, { assetTransferMethod: 'permit2' }), option('exact', 10)).transfer).toBe('eip3009');
  });

  it("decode the upto proxy's settle calls with our ABI exactly as with @x402/evm's", () => {
    const ours = parseAbi(UPTO_PROXY_SETTLE_ABI);
    const theirs = x402Evm.x402UptoPermit2ProxyABI;
    for (const name of ['settle', 'settleWithPermit'] as const) {
      const signature = (abi: readonly unknown[]) =>
        toFunctionSelector(getAbiItem({ abi: abi as Abi, name }) as AbiFunction);
      expect(signature(ours), name).toBe(signature(theirs));
    }
  });

  it('refuse any spender or Permit2 other than the canonical contracts, and an upto quote without a facilitator', () => {
    const refused = (extra: Record<string, unknown>, scheme = 'upto') =>
      rejection(() => selectRequirement(quoteOf(option(scheme, 10, extra)), policy, 'evm', { permit2: true }));
    const { permit2, uptoProxy, exactProxy } = permit2Contracts();
    expect(permit2).toBe('0x000000000022D473030F116dDEE9F6B43aC78BA3');
    // Constants of ours: the ones @x402/evm (bundled into dist/, not a dependency) exports.
    expect({ permit2, uptoProxy, exactProxy }).toEqual({
      permit2: x402Evm.PERMIT2_ADDRESS,
      uptoProxy: x402Evm.x402UptoPermit2ProxyAddress,
      exactProxy: x402Evm.x402ExactPermit2ProxyAddress,
    });
    for (const field of ['spender', 'proxy', 'proxyAddress', 'permit2Proxy', 'x402Proxy'])
      expect(refused({ [field]: FACILITATOR })).toBe('spender');
    for (const field of ['permit2', 'permit2Address', 'verifyingContract'])
      expect(refused({ [field]: FACILITATOR })).toBe('spender');
    expect(refused({ spender: exactProxy })).toBe('spender'); // the exact proxy cannot spend an upto permit
    expect(refused({ facilitatorAddress: undefined })).toBe('facilitator');
    expect(refused({ facilitatorAddress: `0x${'0'.repeat(40)}` })).toBe('facilitator');
    expect(refused({ facilitatorAddress: 'me' })).toBe('facilitator');
    expect(refused({ assetTransferMethod: 'eip3009' })).toBe('scheme');
    const named = selectRequirement(
      quoteOf(option('upto', 10, { spender: uptoProxy.toLowerCase(), permit2Address: permit2 })),
      policy,
      'evm',
      { permit2: true },
    );
    expect(named.amountMicros).toBe(10n); // naming the canonical ones is fine
  });

  it('hold the maximum to the signing cap and the validity to maxTimeoutSeconds', () => {
    const refused = (o: ReturnType<typeof option>) =>
      rejection(() => selectRequirement(quoteOf(o), policy, 'evm', { permit2: true }));
    expect(refused(option('upto', 1_000_001))).toBe('amount');
    expect(refused({ ...option('upto', 10), maxTimeoutSeconds: 901 })).toBe('timeout');
  });
});
