import { QuoteRejectedError } from '../errors.js';
import type { Signer } from '../signer.js';
import { signSolanaPayment } from '../solana/payment.js';
import { isSolanaSigner, type SolanaSigner } from '../solana/signer.js';
import {
  exactRequirements,
  layoutPayment,
  type SignedPayment,
  type SignPaymentOptions,
  schemeRequirements,
} from './payment-layout.js';
import { signPermit2 } from './permit2-sign.js';
import type { AcceptedRequirement, EvmAcceptedRequirement } from './quote.js';
import type { PaymentPayload } from './schemas.js';

export type { PaymentShape, SignedPayment, SignPaymentOptions } from './payment-layout.js';

let schemeModule: Promise<typeof import('@x402/evm/exact/client')> | undefined;
// Loaded on first payment only: keeps the cold import of the paid fetch small.
const loadScheme = () => (schemeModule ??= import('@x402/evm/exact/client'));

/**
 * Signs an already-validated requirement: an EIP-3009 TransferWithAuthorization with `@x402/evm`, or a partially
 * signed SPL TransferChecked transaction with `@x402/svm`. A requirement of the other chain family is refused.
 */
export async function signPayment(
  signer: Signer | SolanaSigner,
  req: AcceptedRequirement,
  options: SignPaymentOptions = {},
): Promise<SignedPayment> {
  if (isSolanaSigner(signer) !== (req.family === 'solana')) {
    throw new QuoteRejectedError('network', `Network ${req.network} is not signable by this wallet`);
  }
  if (isSolanaSigner(signer))
    return signSolanaPayment(signer, req as Extract<AcceptedRequirement, { family: 'solana' }>, options);
  return signEvmPayment(signer, req as EvmAcceptedRequirement, options);
}

async function signEvmPayment(
  signer: Signer,
  req: EvmAcceptedRequirement,
  options: SignPaymentOptions,
): Promise<SignedPayment> {
  const shape = options.shape ?? 'v2';
  const amountMicros = options.amountMicros ?? req.amountMicros;
  // A shorter validity than the quote allows shortens the exposure of a signed payment; `accepted` still
  // echoes the quote exactly, as servers match it.
  const validFor = Math.min(req.maxTimeoutSeconds, options.validForSeconds ?? req.maxTimeoutSeconds);
  if (req.transfer === 'permit2') {
    const requirements = schemeRequirements(req, req.scheme, amountMicros, req.extra);
    const signed = await signPermit2(signer, req, { ...requirements, maxTimeoutSeconds: validFor }, options);
    return {
      ...layoutPayment(shape, requirements, signed.inner, options.resource, signed.extensions),
      amountMicros,
      scheme: req.scheme,
      nonce: String(signed.inner.permit2Authorization.nonce),
      payTo: req.payTo,
    };
  }
  const { ExactEvmScheme } = await loadScheme();
  const { assetTransferMethod: _ignored, ...extra } = req.extra;
  const requirements = exactRequirements(req, amountMicros, extra);
  const scheme = new ExactEvmScheme({
    address: signer.address,
    signTypedData: (args) => signer.signTypedData(args),
  });
  const result = await scheme.createPaymentPayload(2, { ...requirements, maxTimeoutSeconds: validFor });
  const inner = result.payload as PaymentPayload['payload'];
  return {
    ...layoutPayment(shape, requirements, inner, options.resource),
    amountMicros,
    scheme: 'exact',
    nonce: (inner as { authorization: { nonce: string } }).authorization.nonce,
    payTo: req.payTo,
  };
}
