import { SOLANA_NETWORK } from '@venice-x402/core';
import type { Ledger } from '../ledger.js';
import type { PaymentProblem } from '../payments.js';
import { checkSolanaAdvertised, checkSolanaPayment, type DecodedSolanaPayment } from './payments.js';
import type { SolanaSettler } from './settle.js';

export interface Outcome {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
const failure = (e: PaymentProblem): Outcome => ({
  status: e.status,
  body: { error: e.code, message: e.message },
  headers: {},
});

/**
 * A Solana top-up (docs/venice-protocol.md §4 with the Solana `accepts` entry): Venice's checks, then a real SPL transfer on
 * litesvm through `@x402/svm`'s facilitator, then the credit. Without `solana: true` Solana is unsupported.
 */
export async function settleSolanaTopUp(
  solana: SolanaSettler | undefined,
  p: DecodedSolanaPayment,
  advertised: readonly { network: string; amount: string }[],
  ledger: Ledger,
): Promise<Outcome> {
  if (!solana) {
    return failure({
      status: 400,
      code: 'UNSUPPORTED_NETWORK',
      message: 'Solana payments settle only on a simulator started with { solana: true }',
    });
  }
  const problem =
    checkSolanaPayment(p, {
      mint: solana.chain.mint,
      destination: solana.destination,
      minMicros: 5_000_000n,
      maxMicros: 10_000_000_000n,
    }) ?? checkSolanaAdvertised(p, advertised);
  if (problem) return failure(problem);
  const settled = await solana.settle(p, 300);
  if ('status' in settled) return failure(settled);
  ledger.credit(p.payer, p.amount);
  const receipt = { success: true, network: SOLANA_NETWORK, payer: p.payer, transaction: settled.transaction };
  return {
    status: 200,
    headers: { 'payment-response': b64(receipt) },
    body: {
      success: true,
      data: {
        walletAddress: p.payer,
        amountCredited: Number(p.amount) / 1e6,
        newBalance: Number(ledger.balance(p.payer)) / 1e6,
        paymentId: `x402-${p.id.slice(0, 16)}`,
      },
    },
  };
}
