import type { Budget, Micros, Reservation, UptoAuthorization, Wallet } from '@venice-x402/core';
import { decodeBase64Json } from '@venice-x402/core/internal';
import type { Clock } from './clock.js';

/** Past the deadline by this much before Permit2 is asked: a block time and a skewed clock later. */
const DEADLINE_MARGIN_MS = 60_000;

/** The Permit2 authorization a signed `upto` payment header carries (what we signed, so trusted as data). */
export function authorizationOf(header: string): UptoAuthorization | undefined {
  try {
    const a = (decodeBase64Json(header, 'payment') as any)?.payload?.permit2Authorization;
    if (!a) return undefined;
    return {
      owner: a.from,
      token: a.permitted.token,
      nonce: BigInt(a.nonce),
      payTo: a.witness.to,
      deadline: BigInt(a.deadline),
    };
  } catch {
    return undefined;
  }
}

/**
 * An `upto` payment left counted as ambiguous (`requestId` in the ledger, `micros` counted): once its deadline has
 * passed, Permit2 is asked through the wallet's EVM RPC whether its nonce was ever used. Unused, nothing moved and
 * nothing can: the charge is credited back (`budget.refund`, once). Used, or no answer, it stays counted until
 * reconciled. A process that ends first leaves it counted, which never overspends.
 */
export function creditIfNeverSettled(args: {
  clock: Clock;
  wallet: Wallet | undefined;
  budget: Budget;
  header: string;
  held: Reservation;
  requestId: string;
  micros: Micros;
}) {
  const { wallet, budget, held } = args;
  const auth = authorizationOf(args.header);
  if (!auth?.deadline || !wallet?.uptoNonceUsed || !budget.store.refund) return;
  const delay = Number(auth.deadline) * 1000 + DEADLINE_MARGIN_MS - args.clock.now();
  args.clock.setTimeout(
    () => {
      void (async () => {
        if ((await wallet.uptoNonceUsed!(auth).catch(() => undefined)) !== false) return;
        const request = { requestId: args.requestId, micros: args.micros, scope: held.scopes, model: held.model };
        await budget.refund({ ...request, at: held.at }).catch(() => {});
      })();
    },
    Math.max(0, delay),
    { unref: true },
  );
}
