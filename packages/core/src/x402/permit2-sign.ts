import { ApprovalRequiredError, ProtocolError } from '../errors.js';
import { viem } from '../lazy.js';
import type { Signer } from '../signer.js';
import { permit2Contracts } from './permit2.js';
import type { EvmAcceptedRequirement } from './quote.js';

type Requirements = {
  scheme: string;
  network: `${string}:${string}`;
  amount: string;
  asset: string;
  payTo: string;
  maxTimeoutSeconds: number;
  extra: Record<string, unknown>;
};

let uptoModule: Promise<typeof import('@x402/evm/upto/client')> | undefined;
let exactModule: Promise<typeof import('@x402/evm/exact/client')> | undefined;
// Loaded by the first Permit2 payment only.
const loadUpto = () => (uptoModule ??= import('@x402/evm/upto/client'));
const loadExact = () => (exactModule ??= import('@x402/evm/exact/client'));

const EIP2612_SPONSORING = 'eip2612GasSponsoring';

/**
 * Signs a Permit2 witness transfer with `@x402/evm` (`upto`: the amount is a maximum the facilitator settles up to;
 * `exact`: the amount itself), after checking the one-time approval of Permit2 when an EVM RPC is known. A server
 * that advertises EIP-2612 gas sponsoring gets a signed `permit` for Permit2 instead of a missing approval.
 */
export async function signPermit2(
  signer: Signer,
  req: EvmAcceptedRequirement,
  requirements: Requirements,
  options: { evmRpcUrl?: string; extensions?: Record<string, unknown> },
): Promise<{ inner: Record<string, any>; extensions?: Record<string, unknown> }> {
  const sponsored = await checkAllowance(signer, req, options);
  const client = { address: signer.address, signTypedData: (args: any) => signer.signTypedData(args) };
  const rpc = sponsored && options.evmRpcUrl ? { rpcUrl: options.evmRpcUrl } : undefined;
  const scheme =
    req.scheme === 'upto'
      ? new (await loadUpto()).UptoEvmScheme(client, rpc)
      : new (await loadExact()).ExactEvmScheme(client, rpc);
  const context = sponsored ? { extensions: { [EIP2612_SPONSORING]: options.extensions![EIP2612_SPONSORING] } } : {};
  const result = await scheme.createPaymentPayload(2, requirements as any, context);
  checkSigned(result.payload as Record<string, any>, req, requirements);
  return { inner: result.payload as Record<string, any>, extensions: result.extensions };
}

/**
 * With an RPC, the wallet's ERC-20 allowance to Permit2 is read before signing. Too small: the payment goes ahead
 * only when the server sponsors the approval with an EIP-2612 permit the token supports (returns true); otherwise an
 * ApprovalRequiredError says what to send. Without an RPC nothing can be read: the server's answer tells.
 */
async function checkAllowance(
  signer: Signer,
  req: EvmAcceptedRequirement,
  options: { evmRpcUrl?: string; extensions?: Record<string, unknown> },
): Promise<boolean> {
  if (!options.evmRpcUrl) return false;
  const { getPermit2AllowanceReadParams } = await loadExact();
  const { createPublicClient, http } = viem();
  const client = createPublicClient({ transport: http(options.evmRpcUrl) });
  const allowance = (await client.readContract(
    getPermit2AllowanceReadParams({ tokenAddress: req.asset, ownerAddress: signer.address }),
  )) as bigint;
  if (allowance >= req.amountMicros) return false;
  const permitSponsored =
    options.extensions?.[EIP2612_SPONSORING] !== undefined &&
    typeof req.extra.name === 'string' &&
    typeof req.extra.version === 'string';
  if (permitSponsored) return true;
  throw await permit2ApprovalError(signer.address, req, allowance);
}

/** The typed error for a missing Permit2 approval, with the transaction that grants it. */
export async function permit2ApprovalError(owner: string, req: EvmAcceptedRequirement, allowance?: bigint) {
  const { createPermit2ApprovalTx } = await loadExact();
  const { permit2 } = permit2Contracts();
  return new ApprovalRequiredError(
    `Permit2 payments need a one-time approval: send approve(${permit2}, amount) on token ${req.asset} from ${owner} (details.approveTx), then retry`,
    {
      token: req.asset,
      owner,
      spender: permit2,
      network: req.network,
      requiredMicros: req.amountMicros.toString(),
      ...(allowance === undefined ? {} : { allowanceMicros: allowance.toString() }),
      approveTx: createPermit2ApprovalTx(req.asset),
    },
  );
}

/** What `@x402/evm` signed is what was validated: the canonical spender, the payee, the amount, the deadline. */
function checkSigned(inner: Record<string, any>, req: EvmAcceptedRequirement, requirements: Requirements) {
  const auth = inner.permit2Authorization;
  const { uptoProxy, exactProxy } = permit2Contracts();
  const spender = req.scheme === 'upto' ? uptoProxy : exactProxy;
  const same = (a: unknown, b: string) => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
  const latest = Math.floor(Date.now() / 1000) + requirements.maxTimeoutSeconds + 5;
  if (
    !auth ||
    !same(auth.spender, spender) ||
    !same(auth.witness?.to, req.payTo) ||
    !same(auth.permitted?.token, req.asset) ||
    String(auth.permitted?.amount) !== requirements.amount ||
    Number(auth.deadline) > latest
  ) {
    throw new ProtocolError('The Permit2 authorization signed differs from the validated quote');
  }
}
