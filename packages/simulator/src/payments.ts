import { deepEqual } from '@x402/core/utils';
import { type Address, getAddress, type Hex, isAddress, keccak256, toHex } from 'viem';
import type { AnvilChain } from './chain/anvil.js';
import type { Authorization, SignatureVerifier } from './signatures.js';

/** A Permit2 witness transfer, as decoded from a payment header (`permit2.ts`). */
export interface Permit2Payment {
  scheme: 'exact' | 'upto';
  accepted: Record<string, any>;
  /** The whole x402 v2 PaymentPayload, as a facilitator takes it. */
  payload: Record<string, any>;
  signature: Hex;
  from: Address;
  token: Address;
  amount: bigint;
  spender: Address;
  nonce: bigint;
  deadline: bigint;
  witness: { to: Address; facilitator?: Address; validAfter: bigint };
}

export interface DecodedPayment {
  layout: 'v2' | 'hybrid' | 'v1';
  /** The v2 `accepted` requirements exactly as sent (v2 layout only). */
  accepted?: unknown;
  scheme: string;
  network: string;
  asset?: string;
  authorization: Authorization;
  signature: Hex;
}

export interface PaymentProblem {
  status: number;
  code: string;
  message: string;
}

const problem = (status: number, code: string, message: string): PaymentProblem => ({ status, code, message });

/** Decodes any of the three accepted payload layouts (x402 v2, Venice's hybrid, x402 v1). */
export function decodePayment(header: string): DecodedPayment | PaymentProblem {
  let body: any;
  try {
    body = JSON.parse(Buffer.from(header.trim(), 'base64').toString('utf8'));
  } catch {
    return problem(400, 'INVALID_PAYMENT_FORMAT', 'Payment header is not base64 JSON');
  }
  const inner = body?.payload;
  const a = inner?.authorization;
  if (!a || typeof inner.signature !== 'string')
    return problem(400, 'INVALID_PAYMENT_FORMAT', 'Payment payload is incomplete');
  const accepted = body.accepted;
  const layout = accepted ? 'v2' : body.x402Version === 1 ? 'v1' : 'hybrid';
  if (body.x402Version !== (layout === 'v1' ? 1 : 2))
    return problem(
      400,
      'INVALID_PAYMENT_FORMAT',
      `x402Version ${String(body.x402Version).slice(0, 16)} is not supported`,
    );
  try {
    if (!isAddress(a.from, { strict: false }) || !isAddress(a.to, { strict: false })) throw new Error('address');
    if (!/^0x[0-9a-fA-F]{64}$/.test(a.nonce)) throw new Error('nonce');
    return {
      layout,
      accepted,
      scheme: String(accepted?.scheme ?? body.scheme ?? ''),
      network: String(accepted?.network ?? body.network ?? ''),
      asset: accepted?.asset,
      authorization: {
        from: getAddress(a.from),
        to: getAddress(a.to),
        value: BigInt(a.value),
        validAfter: BigInt(a.validAfter),
        validBefore: BigInt(a.validBefore),
        nonce: a.nonce,
      },
      signature: inner.signature,
    };
  } catch {
    return problem(400, 'INVALID_PAYMENT_FORMAT', 'Payment authorization fields are malformed');
  }
}

export interface PaymentExpectation {
  payTo: Address;
  asset: Address;
  minMicros: bigint;
  maxMicros: bigint;
  nowSeconds: number;
  signatures: SignatureVerifier;
}

const CLOCK_SKEW_SECONDS = 30;
const BASE_NETWORKS = new Set(['base', 'eip155:8453']);

/** Checks a decoded payment against what the server asked for, including the EIP-712 signature. */
export async function verifyPayment(
  p: DecodedPayment,
  expect: PaymentExpectation,
): Promise<PaymentProblem | undefined> {
  if (p.scheme !== 'exact') return problem(400, 'UNSUPPORTED_SCHEME', 'Only the exact scheme is supported');
  if (!BASE_NETWORKS.has(p.network.toLowerCase()))
    return problem(400, 'UNSUPPORTED_NETWORK', `Network ${p.network} is not supported`);
  if (p.asset && p.asset.toLowerCase() !== expect.asset.toLowerCase())
    return problem(400, 'UNSUPPORTED_TOKEN', 'Only USDC is accepted');
  const auth = p.authorization;
  if (auth.to.toLowerCase() !== expect.payTo.toLowerCase())
    return problem(400, 'INVALID_PAYMENT_RECIPIENT', 'Payment is not addressed to the receiver');
  if (auth.value < expect.minMicros) return problem(400, 'AMOUNT_TOO_LOW', 'Payment amount is below the minimum');
  if (auth.value > expect.maxMicros) return problem(400, 'AMOUNT_TOO_HIGH', 'Payment amount is above the maximum');
  if (auth.validAfter > BigInt(expect.nowSeconds) || auth.validBefore <= BigInt(expect.nowSeconds)) {
    return problem(400, 'INVALID_PAYMENT', 'Payment authorization is outside its validity window');
  }
  const valid = await expect.signatures.transferAuthorization({
    asset: expect.asset,
    authorization: auth,
    signature: p.signature,
  });
  if (!valid) return problem(400, 'INVALID_PAYMENT_PAYER', 'Payment signature does not match the payer');
  return undefined;
}

/**
 * What a stock x402 v2 server checks before verifying a signature: `accepted` deep-equals an advertised entry, the
 * authorization moves exactly `accepted.amount` to `accepted.payTo`, and it expires within `maxTimeoutSeconds`
 * (docs/venice-protocol.md §4; `@x402/core` matching). The older layouts carry no `accepted`: only the window is checked.
 */
export function checkAgainstAdvertised(
  p: DecodedPayment,
  advertised: readonly { amount: string; payTo: string; maxTimeoutSeconds: number }[],
  nowSeconds: number,
): PaymentProblem | undefined {
  const auth = p.authorization;
  let maxTimeout = Math.max(...advertised.map((a) => a.maxTimeoutSeconds));
  if (p.layout === 'v2') {
    const entry = advertised.find((a) => deepEqual(a, p.accepted));
    if (!entry) return problem(400, 'INVALID_PAYMENT', 'accepted matches none of the advertised payment requirements');
    if (auth.value !== BigInt(entry.amount))
      return problem(400, 'INVALID_AMOUNT', 'The authorized value differs from accepted.amount');
    if (auth.to.toLowerCase() !== entry.payTo.toLowerCase())
      return problem(400, 'INVALID_PAYMENT_RECIPIENT', 'The authorization is not addressed to accepted.payTo');
    maxTimeout = entry.maxTimeoutSeconds;
  }
  if (auth.validBefore > BigInt(nowSeconds + maxTimeout + CLOCK_SKEW_SECONDS))
    return problem(400, 'INVALID_PAYMENT', `validBefore is more than ${maxTimeout} s ahead (maxTimeoutSeconds)`);
  return undefined;
}

/** Moves the USDC of a verified payment: simulated balances (ledger mode) or a real transfer on anvil. */
export interface Settler {
  fund(address: Address, micros: bigint): Promise<void>;
  usdcBalance(address: Address): Promise<bigint>;
  settle(p: DecodedPayment, asset: Address): Promise<{ transaction: Hex } | PaymentProblem>;
  /** The account that settles `upto` payments (their witness must name it). */
  facilitator: Address;
  /** Moves `amount` (≤ the permitted amount, checked by the caller) of a verified Permit2 payment to its payee. */
  settlePermit2(p: Permit2Payment, amount: bigint): Promise<{ transaction: Hex } | PaymentProblem>;
  /** The wallet's one-time ERC-20 approval of Permit2 (what a wallet sends before its first Permit2 payment). */
  approvePermit2(address: Address): Promise<void>;
}

const PERMIT2_ALLOWANCE_REQUIRED = problem(
  402,
  'permit2_allowance_required',
  'permit2_allowance_required: the payer has not approved Permit2 to spend its USDC',
);

export function ledgerSettler(facilitator: Address): Settler {
  const balances = new Map<string, bigint>();
  const usedNonces = new Set<string>();
  const approved = new Set<string>();
  const get = (a: string) => balances.get(a.toLowerCase()) ?? 0n;
  const move = (from: string, to: string, value: bigint) => {
    balances.set(from.toLowerCase(), get(from) - value);
    balances.set(to.toLowerCase(), get(to) + value);
  };
  return {
    facilitator,
    async approvePermit2(address) {
      approved.add(address.toLowerCase());
    },
    async settlePermit2(p, amount) {
      const key = `permit2:${p.from.toLowerCase()}:${p.nonce}`;
      if (!approved.has(p.from.toLowerCase())) return PERMIT2_ALLOWANCE_REQUIRED;
      if (usedNonces.has(key)) return problem(402, 'SETTLEMENT_FAILED', 'Permit2 nonce already used');
      if (get(p.from) < amount) return problem(400, 'PAYMENT_VERIFICATION_FAILED', 'Payer has insufficient USDC');
      usedNonces.add(key);
      move(p.from, p.witness.to, amount);
      return { transaction: keccak256(toHex(`sim:${key}`)) };
    },
    async fund(address, micros) {
      balances.set(address.toLowerCase(), get(address) + micros);
    },
    async usdcBalance(address) {
      return get(address);
    },
    async settle(p) {
      const { from, to, value, nonce } = p.authorization;
      const key = `${from.toLowerCase()}:${nonce}`;
      if (usedNonces.has(key)) return problem(402, 'SETTLEMENT_FAILED', 'Authorization nonce already used');
      if (get(from) < value) return problem(400, 'PAYMENT_VERIFICATION_FAILED', 'Payer has insufficient USDC');
      usedNonces.add(key);
      move(from, to, value);
      return { transaction: keccak256(toHex(`sim:${key}`)) };
    },
  };
}

export async function anvilSettler(chain: AnvilChain, usdc: Address): Promise<Settler> {
  const [{ ExactEvmScheme }, { toFacilitatorEvmSigner }, usdcModule] = await Promise.all([
    import('@x402/evm/exact/facilitator'),
    import('@x402/evm'),
    import('./chain/usdc.js'),
  ]);
  const signer = toFacilitatorEvmSigner({ ...(chain.client as any), address: chain.operator.address });
  const facilitator = new ExactEvmScheme(signer);
  // One settlement at a time: the operator account's transaction nonces must not race.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    facilitator: chain.operator.address,
    // No Permit2 contracts on this chain: Permit2 options are not quoted here (README: Permit2 on anvil).
    async approvePermit2() {},
    async settlePermit2() {
      return problem(400, 'UNSUPPORTED_SCHEME', 'Permit2 is not deployed on this local chain');
    },
    async fund(address, micros) {
      await usdcModule.mintUsdc(chain, usdc, address, micros);
    },
    usdcBalance: (address) => usdcModule.usdcBalance(chain, usdc, address),
    settle(p) {
      const a = p.authorization;
      const requirements = {
        scheme: 'exact',
        network: 'eip155:8453' as const,
        amount: a.value.toString(),
        asset: usdc,
        payTo: a.to,
        maxTimeoutSeconds: 3600,
        extra: { name: 'USD Coin', version: '2' },
      };
      const payload = {
        x402Version: 2,
        accepted: requirements,
        payload: {
          signature: p.signature,
          authorization: {
            from: a.from,
            to: a.to,
            value: a.value.toString(),
            validAfter: a.validAfter.toString(),
            validBefore: a.validBefore.toString(),
            nonce: a.nonce,
          },
        },
      };
      const run = async () => {
        try {
          const result = await facilitator.settle(payload as any, requirements as any);
          if (!result.success || !result.transaction) {
            const reason = result.errorReason ?? 'settlement failed';
            const code = /insufficient/i.test(reason) ? 'PAYMENT_VERIFICATION_FAILED' : 'SETTLEMENT_FAILED';
            return problem(code === 'SETTLEMENT_FAILED' ? 402 : 400, code, reason);
          }
          return { transaction: result.transaction as Hex };
        } catch (error) {
          return problem(402, 'SETTLEMENT_FAILED', (error as Error).message.slice(0, 200));
        }
      };
      const next = queue.then(run, run);
      queue = next;
      return next;
    },
  };
}
