import { createRequire } from 'node:module';
import { QuoteRejectedError } from '../errors.js';
import { isHexAddress, lazy } from '../lazy.js';
import type { RawPaymentRequirements } from './schemas.js';

const require = createRequire(import.meta.url);

/**
 * The canonical contracts of x402's Permit2 schemes, as `@x402/evm` exports them: Uniswap's Permit2 (the contract a
 * wallet approves once and whose EIP-712 domain it signs) and the x402 proxies that may spend through it. Loaded by
 * the first Permit2 quote (the root module brings every scheme; viem is already loaded by then).
 */
export const permit2Contracts = lazy(() => {
  const evm = require('@x402/evm') as typeof import('@x402/evm');
  return {
    permit2: evm.PERMIT2_ADDRESS,
    uptoProxy: evm.x402UptoPermit2ProxyAddress,
    exactProxy: evm.x402ExactPermit2ProxyAddress,
  };
});

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
