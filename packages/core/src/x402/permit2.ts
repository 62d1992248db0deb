import { QuoteRejectedError } from '../errors.js';
import { isHexAddress } from '../lazy.js';
import type { RawPaymentRequirements } from './schemas.js';

/**
 * The canonical contracts of x402's Permit2 schemes: Uniswap's Permit2 (the contract a wallet approves once and whose
 * EIP-712 domain it signs) and the x402 proxies that may spend through it. The same on every chain; a test checks
 * them against `@x402/evm`'s exports (constants here, so a quote check loads none of `@x402/evm`).
 */
const PERMIT2_CONTRACTS = Object.freeze({
  permit2: '0x000000000022D473030F116dDEE9F6B43aC78BA3',
  uptoProxy: '0x4020A4f3b7b90ccA423B9fabCc0CE57C6C240002',
  exactProxy: '0x402085c248EeA27D92E8b30b2C58ed07f9E20001',
} as const);

export const permit2Contracts = () => PERMIT2_CONTRACTS;

/** How an EVM payment moves the token: EIP-3009 `transferWithAuthorization`, or a Permit2 witness transfer. */
export type TransferMethod = 'eip3009' | 'permit2';

/** The x402 schemes this package signs on EVM. */
export type EvmScheme = 'exact' | 'upto';

// `extra` fields a server could use to name the contract that spends, or the Permit2 deployment signed for.
const SPENDER_FIELDS = ['spender', 'proxy', 'proxyAddress', 'permit2Proxy', 'x402Proxy'];
const PERMIT2_FIELDS = ['permit2', 'permit2Address', 'verifyingContract'];
const ZERO_ADDRESS = /^0x0{40}$/;

const sameAddress = (a: unknown, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

/** `exact` defaults to EIP-3009; `upto` exists only over Permit2. Anything else is refused. */
export function transferMethodOf(req: RawPaymentRequirements, scheme: EvmScheme): TransferMethod | QuoteRejectedError {
  const method = req.extra?.assetTransferMethod ?? (scheme === 'upto' ? 'permit2' : 'eip3009');
  if (method === 'permit2' || (method === 'eip3009' && scheme === 'exact')) return method;
  return new QuoteRejectedError('scheme', `${scheme} does not transfer by ${String(method).slice(0, 32)}`);
}

/**
 * The Permit2 half of quote validation, before anything is signed: the only spender a wallet authorizes is the
 * canonical x402 proxy of the scheme, through the canonical Permit2 (a quote naming any other is refused), and an
 * `upto` quote names the facilitator that alone may settle it (the witness binds it).
 */
export function permit2Rejection(req: RawPaymentRequirements, scheme: EvmScheme): QuoteRejectedError | undefined {
  const extra = req.extra ?? {};
  const contracts = permit2Contracts();
  const spender = scheme === 'upto' ? contracts.uptoProxy : contracts.exactProxy;
  for (const field of SPENDER_FIELDS) {
    if (field in extra && !sameAddress(extra[field], spender)) {
      return new QuoteRejectedError('spender', `The quote names a spender other than the x402 ${scheme} proxy`, {
        field,
        spender: String(extra[field]).slice(0, 64),
        expected: spender,
      });
    }
  }
  for (const field of PERMIT2_FIELDS) {
    if (field in extra && !sameAddress(extra[field], contracts.permit2)) {
      return new QuoteRejectedError('spender', 'The quote names a Permit2 contract other than the canonical one', {
        field,
        permit2: String(extra[field]).slice(0, 64),
        expected: contracts.permit2,
      });
    }
  }
  if (scheme === 'upto') {
    const facilitator = extra.facilitatorAddress;
    if (!isHexAddress(facilitator) || ZERO_ADDRESS.test(facilitator)) {
      return new QuoteRejectedError(
        'facilitator',
        'An upto quote must name its facilitator (extra.facilitatorAddress)',
        {
          facilitatorAddress: String(facilitator).slice(0, 64),
        },
      );
    }
  }
  return undefined;
}
