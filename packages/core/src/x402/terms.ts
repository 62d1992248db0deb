import { QuoteRejectedError } from '../errors.js';
import { formatUsd, type Micros, parseBaseUnits } from '../money.js';

/** What the wallet will sign for. Everything else is refused before a signature exists. */
export interface SigningPolicy {
  /** CAIP-2 networks (aliases such as `base` / `solana` accepted). Default: Base and Solana mainnet. */
  networks: string[];
  /** Token contracts / mints. Default: USDC on Base and on Solana. A wallet signs only its own chain's options. */
  assets: string[];
  /** Allowed recipients. Empty = any (Venice top-ups still pin the first payTo seen). */
  payees: string[];
  /** Refuse authorizations valid for longer than this. Default 900 s. */
  maxTimeoutSeconds: number;
  /** Refuse any single payment above this many micro-USD. */
  maxAmountMicros?: Micros;
}

/** The chain-independent terms of a quote: an integer amount within the signing cap, a validity within its cap. */
export function checkTerms(
  req: { amount?: unknown; maxAmountRequired?: unknown; maxTimeoutSeconds?: number },
  policy: { maxAmountMicros?: Micros; maxTimeoutSeconds: number },
): { amountMicros: Micros; timeout: number } | QuoteRejectedError {
  let amountMicros: Micros;
  try {
    amountMicros = parseBaseUnits((req.amount ?? req.maxAmountRequired) as string);
  } catch {
    return new QuoteRejectedError('malformed', 'Quoted amount is not a base-unit integer');
  }
  if (policy.maxAmountMicros !== undefined && amountMicros > policy.maxAmountMicros) {
    return new QuoteRejectedError(
      'amount',
      `Quoted $${formatUsd(amountMicros, 2)} exceeds the $${formatUsd(policy.maxAmountMicros, 2)} cap`,
      { amountMicros: amountMicros.toString(), capMicros: policy.maxAmountMicros.toString() },
    );
  }
  const timeout = req.maxTimeoutSeconds ?? 60;
  if (timeout <= 0 || timeout > policy.maxTimeoutSeconds) {
    return new QuoteRejectedError('timeout', `Validity of ${timeout}s exceeds the ${policy.maxTimeoutSeconds}s cap`, {
      maxTimeoutSeconds: timeout,
    });
  }
  return { amountMicros, timeout };
}
