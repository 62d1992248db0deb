import type { PaymentProblem } from '../payments.js';
import { checkSolanaAdvertised, checkSolanaPayment, type DecodedSolanaPayment } from './payments.js';
import type { SolanaSettler } from './settle.js';

/**
 * A pay-per-call payment on Solana: exactly the quoted amount to the receiver in USDC, `accepted` echoing the
 * advertised Solana entry, then settled on litesvm by `@x402/svm`'s facilitator.
 */
export async function settleSolanaPerCall(
  solana: SolanaSettler | undefined,
  p: DecodedSolanaPayment,
  quotedMicros: bigint,
  advertised: readonly { network: string; amount: string; maxTimeoutSeconds: number }[],
): Promise<{ payer: string; transaction: string } | PaymentProblem> {
  if (!solana) {
    return { status: 400, code: 'UNSUPPORTED_NETWORK', message: 'This gateway does not take Solana payments' };
  }
  const entries = advertised.filter((a) => a.network.startsWith('solana'));
  const problem =
    checkSolanaPayment(p, {
      mint: solana.chain.mint,
      destination: solana.destination,
      minMicros: quotedMicros,
      maxMicros: quotedMicros,
    }) ?? checkSolanaAdvertised(p, p.layout === 'v2' ? entries : []);
  if (problem) return problem;
  const settled = await solana.settle(p, entries[0]?.maxTimeoutSeconds ?? 60);
  if ('status' in settled) return settled;
  return { payer: p.payer, transaction: settled.transaction };
}
