import { NetworkError, QuoteRejectedError } from '../errors.js';
import { missingSolana, solanaKit } from '../lazy.js';
import { importOptionalPeer } from '../optional-peer.js';
import {
  exactRequirements,
  layoutPayment,
  type SignedPayment,
  type SignPaymentOptions,
} from '../x402/payment-layout.js';
import { base58Encode } from './base58.js';
import type { SolanaAcceptedRequirement } from './quote.js';
import type { SolanaSigner } from './signer.js';

let schemeModule: Promise<typeof import('@x402/svm/exact/client')> | undefined;
// Loaded on the first Solana payment only (it brings @solana/kit).
const loadScheme = () =>
  (schemeModule ??= importOptionalPeer<typeof import('@x402/svm/exact/client')>('@x402/svm/exact/client').catch(
    (error) => {
      schemeModule = undefined;
      throw missingSolana(error);
    },
  ));

/** `SOLANA_RPC_URL` when set; else `@x402/svm` uses the public mainnet endpoint. */
const envRpcUrl = () => process.env.SOLANA_RPC_URL?.trim() || undefined;

/**
 * The x402 `exact` scheme on Solana with `@x402/svm`: an SPL TransferChecked of `amount` from the payer's USDC
 * account to payTo's, with the facilitator's `feePayer` as fee payer. The payer signs; the facilitator co-signs
 * when it settles. The mint (decimals, token program) and a recent blockhash are read from `solanaRpcUrl`
 * (`extra.recentBlockhash`, when the server sends one, replaces the latter).
 */
export async function signSolanaPayment(
  signer: SolanaSigner,
  req: SolanaAcceptedRequirement,
  options: SignPaymentOptions,
): Promise<SignedPayment> {
  // The payer must never be the fee payer: the transaction would then be complete with our signature alone and
  // the server could spend our SOL on fees (and the facilitator refuses it anyway).
  if (req.feePayer === signer.address) {
    throw new QuoteRejectedError('malformed', 'The quote names this wallet as its own fee payer');
  }
  const shape = options.shape ?? 'v2';
  const amountMicros = options.amountMicros ?? req.amountMicros;
  const requirements = exactRequirements(req, amountMicros, req.extra);
  const { ExactSvmScheme } = await loadScheme();
  const scheme = new ExactSvmScheme(signer.transactionSigner, { rpcUrl: options.solanaRpcUrl ?? envRpcUrl() });
  let transaction: string;
  try {
    const result = await scheme.createPaymentPayload(2, requirements);
    transaction = (result.payload as { transaction: string }).transaction;
  } catch (error) {
    // RPC failures (mint or blockhash lookup) and malformed quotes alike: nothing was signed.
    throw new NetworkError(`Could not build the Solana payment: ${String((error as Error)?.message).slice(0, 160)}`);
  }
  return {
    ...layoutPayment(shape, requirements, { transaction }, options.resource),
    amountMicros,
    scheme: 'exact',
    nonce: await payerSignature(transaction, signer.address),
    payTo: req.payTo,
  };
}

/** The payer's signature (base58) in a wire transaction: unique per payment, our id for it. */
async function payerSignature(base64: string, address: string): Promise<string> {
  const { getTransactionDecoder } = await solanaKit();
  const tx = getTransactionDecoder().decode(Buffer.from(base64, 'base64'));
  const signature = (tx.signatures as Record<string, Uint8Array | null>)[address];
  if (!signature) throw new NetworkError('The Solana payment came back without the payer signature');
  return base58Encode(signature);
}
