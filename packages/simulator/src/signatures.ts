import { type Address, type Hex, verifyMessage, verifyTypedData } from 'viem';
import type { AnvilChain } from './chain/anvil.js';

/** An EIP-3009 TransferWithAuthorization, as decoded from a payment header. */
export interface Authorization {
  from: Address;
  to: Address;
  value: bigint;
  validAfter: bigint;
  validBefore: bigint;
  nonce: Hex;
}

/** Checks wallet signatures: offline (EOA only) or through a chain, where smart accounts answer EIP-1271 / ERC-6492. */
export interface SignatureVerifier {
  message(args: { address: Address; message: string; signature: Hex }): Promise<boolean>;
  transferAuthorization(args: { asset: Address; authorization: Authorization; signature: Hex }): Promise<boolean>;
  /** Any EIP-712 signature (Permit2 witness transfers). */
  typedData(args: {
    address: Address;
    domain: Record<string, unknown>;
    types: Record<string, readonly { name: string; type: string }[]>;
    primaryType: string;
    message: Record<string, unknown>;
    signature: Hex;
  }): Promise<boolean>;
}

export const TRANSFER_WITH_AUTHORIZATION = {
  TransferWithAuthorization: [
    { name: 'from', type: 'address' },
    { name: 'to', type: 'address' },
    { name: 'value', type: 'uint256' },
    { name: 'validAfter', type: 'uint256' },
    { name: 'validBefore', type: 'uint256' },
    { name: 'nonce', type: 'bytes32' },
  ],
} as const;

const usdcDomain = (asset: Address) => ({ name: 'USD Coin', version: '2', chainId: 8453, verifyingContract: asset });

type Check = (args: any) => Promise<boolean>;

function build(verify: { message: Check; typedData: Check }): SignatureVerifier {
  const safely = async (check: () => Promise<boolean>) => {
    try {
      return await check();
    } catch {
      return false;
    }
  };
  return {
    message: (args) => safely(() => verify.message(args)),
    typedData: (args) => safely(() => verify.typedData(args)),
    transferAuthorization: ({ asset, authorization, signature }) =>
      safely(() =>
        verify.typedData({
          address: authorization.from,
          domain: usdcDomain(asset),
          types: TRANSFER_WITH_AUTHORIZATION,
          primaryType: 'TransferWithAuthorization',
          message: authorization,
          signature,
        }),
      ),
  };
}

/** Ledger mode: recovers the signer (EOAs only; there is no chain to ask a contract). */
export const offlineVerifier = (): SignatureVerifier => build({ message: verifyMessage, typedData: verifyTypedData });

/** Anvil mode: viem's public-client verification, which asks deployed smart accounts (EIP-1271, ERC-6492). */
export const chainVerifier = (chain: AnvilChain): SignatureVerifier =>
  build({
    message: (args) => chain.client.verifyMessage(args),
    typedData: (args) => chain.client.verifyTypedData(args),
  });
