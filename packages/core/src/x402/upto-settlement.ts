import { viem } from '../lazy.js';
import { permit2Contracts } from './permit2.js';

/**
 * The two settling functions of the x402 upto proxy, in viem's human-readable form (ours, so a settlement check
 * loads none of `@x402/evm`; a test checks them against its ABI).
 */
export const UPTO_PROXY_SETTLE_ABI = [
  'struct TokenPermissions { address token; uint256 amount; }',
  'struct PermitTransferFrom { TokenPermissions permitted; uint256 nonce; uint256 deadline; }',
  'struct Witness { address to; address facilitator; uint256 validAfter; }',
  'struct EIP2612Permit { uint256 value; uint256 deadline; bytes32 r; bytes32 s; uint8 v; }',
  'function settle(PermitTransferFrom permit, uint256 amount, address owner, Witness witness, bytes signature)',
  'function settleWithPermit(EIP2612Permit permit2612, PermitTransferFrom permit, uint256 amount, address owner, Witness witness, bytes signature)',
] as const;

/** What an `upto` payment authorized (its Permit2 witness transfer): what a settlement on chain must match. */
export interface UptoAuthorization {
  owner: string;
  token: string;
  /** Permit2's nonce: used once, by the one settlement that moved anything. */
  nonce: bigint;
  payTo: string;
  /** Seconds since the epoch after which Permit2 refuses the signature. */
  deadline?: bigint;
}

const HASH = /^0x[0-9a-fA-F]{64}$/;
const same = (a: unknown, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

/**
 * What an `upto` payment really settled, read from the chain: the transaction a receipt names must have succeeded,
 * be a call of the canonical x402 upto proxy (`settle` or `settleWithPermit`) and settle this very authorization
 * (owner, token, payee, Permit2 nonce). Its `amount` argument is what moved: Permit2 spends a nonce once, so nothing
 * more can be taken with this signature. Undefined when the chain does not show it (no such transaction, reverted,
 * another authorization, an RPC error): the payment then stays counted at its maximum.
 */
export async function uptoSettlementOnChain(
  rpcUrl: string,
  transaction: string,
  auth: UptoAuthorization,
): Promise<bigint | undefined> {
  if (!HASH.test(transaction)) return undefined;
  const { createPublicClient, decodeFunctionData, http, parseAbi } = viem();
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: 10_000 }) });
  const hash = transaction as `0x${string}`;
  try {
    const [receipt, tx] = await Promise.all([client.getTransactionReceipt({ hash }), client.getTransaction({ hash })]);
    if (receipt.status !== 'success' || !tx.to || !same(tx.to, permit2Contracts().uptoProxy)) return undefined;
    const call = decodeFunctionData({ abi: parseAbi(UPTO_PROXY_SETTLE_ABI), data: tx.input });
    const args = (call.functionName === 'settleWithPermit' ? call.args.slice(1) : call.args) as readonly unknown[];
    if (call.functionName !== 'settle' && call.functionName !== 'settleWithPermit') return undefined;
    const [permit, amount, owner, witness] = args as [
      { permitted: { token: string; amount: bigint }; nonce: bigint },
      bigint,
      string,
      { to: string },
    ];
    const matches =
      permit.nonce === auth.nonce &&
      same(owner, auth.owner) &&
      same(permit.permitted.token, auth.token) &&
      same(witness.to, auth.payTo) &&
      amount <= permit.permitted.amount;
    return matches ? amount : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether Permit2 has marked an authorization's nonce used (`nonceBitmap(owner, nonce >> 8)`, bit `nonce & 255`),
 * read at the chain's latest block: false there proves the signature never moved anything, and never will, because
 * that block is past its deadline (the chain's clock, not ours: a host clock running ahead must not credit a payment
 * the facilitator can still settle). Undefined on an RPC error or before the deadline on chain.
 */
export async function permit2NonceUsed(rpcUrl: string, auth: UptoAuthorization): Promise<boolean | undefined> {
  const { createPublicClient, http, parseAbi } = viem();
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0, timeout: 10_000 }) });
  try {
    const block = await client.getBlock({ blockTag: 'latest' });
    if (auth.deadline === undefined || block.number === null || block.timestamp <= auth.deadline) return undefined;
    const word = await client.readContract({
      blockNumber: block.number,
      address: permit2Contracts().permit2,
      abi: parseAbi(['function nonceBitmap(address owner, uint256 wordPos) view returns (uint256)']),
      functionName: 'nonceBitmap',
      args: [auth.owner as `0x${string}`, auth.nonce >> 8n],
    });
    return ((word >> (auth.nonce & 255n)) & 1n) === 1n;
  } catch {
    return undefined;
  }
}
