import { SOLANA_NETWORK } from '@venice-x402/core';
import type { PaymentProblem } from '../payments.js';
import { litesvmFacilitatorSigner } from './facilitator.js';
import type { DecodedSolanaPayment } from './payments.js';
import type { SolanaChain } from './svm.js';

/** Settles verified Solana payments through `@x402/svm`'s own facilitator, on litesvm. */
export interface SolanaSettler {
  chain: SolanaChain;
  /** The receiver's token account: what a TransferChecked to payTo names as destination. */
  destination: string;
  settle(p: DecodedSolanaPayment, maxTimeoutSeconds: number): Promise<{ transaction: string } | PaymentProblem>;
}

export async function solanaSettler(chain: SolanaChain): Promise<SolanaSettler> {
  const [{ ExactSvmScheme }, { TransactionOnchainFailureError }] = await Promise.all([
    import('@x402/svm/exact/facilitator'),
    import('@x402/svm'),
  ]);
  const facilitator = new ExactSvmScheme(litesvmFacilitatorSigner(chain, TransactionOnchainFailureError));
  return {
    chain,
    destination: await chain.tokenAccount(chain.payTo),
    async settle(p, maxTimeoutSeconds) {
      // The facilitator re-checks everything against these requirements (layout, fee payer isolation, mint,
      // recipient, exact amount, signatures, simulation), co-signs as fee payer, sends and confirms.
      const requirements = {
        scheme: 'exact',
        network: SOLANA_NETWORK,
        amount: p.amount.toString(),
        asset: chain.mint,
        payTo: chain.payTo,
        maxTimeoutSeconds,
        extra: { feePayer: chain.feePayer.address },
      } as const;
      const payload = { x402Version: 2, accepted: requirements, payload: { transaction: p.transaction } };
      try {
        const result = await facilitator.settle(payload as never, requirements as never);
        if (!result.success || !result.transaction) {
          const reason = (result.errorReason ?? 'settlement failed').slice(0, 200);
          // docs/venice-protocol.md §4.4: a payment that fails verification (a bad signature, no USDC: the simulation fails)
          // is a 400; a verified one that did not land is 402 SETTLEMENT_FAILED (no funds moved, retry is safe).
          if (/signature_invalid/.test(reason)) return { status: 400, code: 'INVALID_PAYMENT_PAYER', message: reason };
          if (/^invalid_exact_svm_(?!transaction_failed)/.test(reason))
            return { status: 400, code: 'PAYMENT_VERIFICATION_FAILED', message: reason };
          return { status: 402, code: 'SETTLEMENT_FAILED', message: reason };
        }
        return { transaction: result.transaction };
      } catch (error) {
        return { status: 402, code: 'SETTLEMENT_FAILED', message: String((error as Error)?.message).slice(0, 200) };
      }
    },
  };
}
