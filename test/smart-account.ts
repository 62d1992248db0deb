import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Simulator } from '@venice-x402/simulator';
import { type Abi, type Address, getAddress, type Hex, hashMessage, hashTypedData, type LocalAccount } from 'viem';
import { type PrivateKeyAccount, toAccount } from 'viem/accounts';

const dir = new URL('./contracts/', import.meta.url);

/** The committed build of contracts/OwnedAccount.sol (`node test/contracts/compile.mjs` writes it). */
export const ownedAccountArtifact = JSON.parse(readFileSync(new URL('OwnedAccount.json', dir), 'utf8')) as {
  compiler: string;
  sourceSha256: string;
  abi: Abi;
  bytecode: Hex;
};

export const ownedAccountSourceSha256 = () =>
  createHash('sha256')
    .update(readFileSync(new URL('OwnedAccount.sol', dir)))
    .digest('hex');

/** Deploys an OwnedAccount for `owner` on the simulator's anvil chain (the operator pays gas). */
export async function deployOwnedAccount(sim: Simulator, owner: Address): Promise<Address> {
  const { client, operator } = sim.chain!;
  const hash = await client.deployContract({
    abi: ownedAccountArtifact.abi,
    bytecode: ownedAccountArtifact.bytecode,
    args: [owner],
    account: operator,
    chain: client.chain,
  });
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== 'success' || !receipt.contractAddress) throw new Error('OwnedAccount deployment failed');
  return getAddress(receipt.contractAddress);
}

/**
 * The smart account as a viem account: its address is the contract; `signer` signs the EIP-191 / EIP-712 digest
 * (the same bytes as its own signMessage / signTypedData). They recover to `signer`, never to the contract: only a
 * verifier that asks the contract (EIP-1271) accepts them for its address.
 */
export function ownedAccount(address: Address, signer: PrivateKeyAccount): LocalAccount {
  return toAccount({
    address,
    signMessage: ({ message }) => signer.sign({ hash: hashMessage(message) }),
    signTypedData: (typedData) => signer.sign({ hash: hashTypedData(typedData as any) }),
    signTransaction: async () => {
      throw new Error('OwnedAccount sends no transactions');
    },
  });
}
