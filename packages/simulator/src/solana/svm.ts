import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  type Address,
  address,
  appendTransactionMessageInstructions,
  createKeyPairSignerFromPrivateKeyBytes,
  createTransactionMessage,
  type Instruction,
  type KeyPairSigner,
  lamports,
  pipe,
  type Signature,
  setTransactionMessageFeePayerSigner,
  signTransactionMessageWithSigners,
} from '@solana/kit';
import {
  findAssociatedTokenPda,
  getCreateAssociatedTokenIdempotentInstruction,
  getMintEncoder,
  getMintSize,
  getMintToCheckedInstruction,
  getTokenDecoder,
  TOKEN_PROGRAM_ADDRESS,
} from '@solana-program/token';
import { ConfigError, SOLANA_USDC } from '@venice-x402/core';
import { base58Encode } from '@venice-x402/core/internal';
import type { LiteSVM } from 'litesvm';

const require = createRequire(import.meta.url);
const MEMO_PROGRAM = address('MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr');

/** A local Solana VM (litesvm) with the SPL Token program and a 6-decimal USDC mint at the mainnet mint address. */
export interface SolanaChain {
  svm: LiteSVM;
  /** The USDC mint (`EPjFWdd5…`, as on mainnet, so quotes and transactions match it exactly). */
  mint: Address;
  /** Receives top-ups and per-call payments. */
  payTo: Address;
  /** The facilitator's fee payer: pays transaction fees and co-signs settlements. */
  feePayer: KeyPairSigner;
  /** Mint authority; also pays for the transactions that fund test wallets. */
  operator: KeyPairSigner;
  /** Mints `micros` test USDC to `owner`'s associated token account (creating it) in a real transaction. */
  fund(owner: string, micros: bigint): Promise<string>;
  /** `owner`'s USDC balance in base units (0 without a token account). */
  usdcBalance(owner: string): Promise<bigint>;
  /** The associated token account of `owner` for the mint. */
  tokenAccount(owner: string): Promise<Address>;
  /** Sends a signed transaction; throws with the VM's logs when it fails. Returns its base58 signature. */
  send(transaction: Parameters<LiteSVM['sendTransaction']>[0]): string;
  /** Runs a transaction without committing it; throws with the VM's logs when it would fail. */
  simulate(transaction: Parameters<LiteSVM['simulateTransaction']>[0]): void;
  /** Outcome of a sent transaction: undefined when the VM has never seen it. */
  status(signature: string): { ok: true } | { ok: false; error: string } | undefined;
}

/** Deterministic simulator keys: the same addresses on every run (they hold only test money). */
const seeded = (label: string) =>
  createKeyPairSignerFromPrivateKeyBytes(createHash('sha256').update(`venice-x402 simulator ${label}`).digest());

/** litesvm publishes a native build for Linux x64 (glibc) only: elsewhere it installs but cannot load. */
const LITESVM_PLATFORMS = 'Linux x64 (glibc)';

function loadLiteSvm(): typeof import('litesvm') {
  const cause = (error: unknown) => String((error as Error)?.message).slice(0, 200);
  try {
    require.resolve('litesvm');
  } catch (error) {
    throw new ConfigError(
      `solana: true needs the optional package litesvm, which runs on ${LITESVM_PLATFORMS} only: \`pnpm add litesvm\` next to @venice-x402/simulator`,
      { cause: cause(error) },
    );
  }
  try {
    return require('litesvm') as typeof import('litesvm');
  } catch (error) {
    const platform = `${process.platform}-${process.arch}`;
    throw new ConfigError(
      `solana: true is not supported on ${platform}: litesvm is installed but has no native build that loads here (the registry has one for ${LITESVM_PLATFORMS} only). Run the Solana simulator on Linux x64, e.g. in a container.`,
      { platform, cause: cause(error) },
    );
  }
}

export async function startSolana(): Promise<SolanaChain> {
  const { LiteSVM, FailedTransactionMetadata } = loadLiteSvm();
  // Standard runtime: System, SPL Token / Token-2022, Associated Token Account, Memo and Compute Budget programs.
  const svm = new LiteSVM();
  const [operator, feePayer, receiver] = await Promise.all([
    seeded('operator'),
    seeded('fee payer'),
    seeded('receiver'),
  ]);
  for (const who of [operator, feePayer]) svm.airdrop(who.address, lamports(100_000_000_000n));
  const mint = address(SOLANA_USDC);
  const mintData = getMintEncoder().encode({
    mintAuthority: operator.address,
    supply: 0n,
    decimals: 6,
    isInitialized: true,
    freezeAuthority: null,
  });
  svm.setAccount({
    address: mint,
    data: new Uint8Array(mintData),
    executable: false,
    lamports: lamports(svm.minimumBalanceForRentExemption(BigInt(getMintSize()))),
    programAddress: TOKEN_PROGRAM_ADDRESS,
    space: BigInt(getMintSize()),
  });

  const tokenAccount = async (owner: string) =>
    (await findAssociatedTokenPda({ mint, owner: address(owner), tokenProgram: TOKEN_PROGRAM_ADDRESS }))[0];

  function send(transaction: Parameters<LiteSVM['sendTransaction']>[0]): string {
    const result = svm.sendTransaction(transaction);
    if (result instanceof FailedTransactionMetadata) {
      throw new Error(`Solana transaction failed: ${result.toString().slice(0, 400)}`);
    }
    return base58Encode(result.signature());
  }

  function simulate(transaction: Parameters<LiteSVM['simulateTransaction']>[0]) {
    const result = svm.simulateTransaction(transaction);
    if (result instanceof FailedTransactionMetadata) {
      throw new Error(`Solana simulation failed: ${result.toString().slice(0, 400)}`);
    }
  }

  function status(signature: string) {
    const result = svm.getTransaction(signature as Signature);
    if (!result) return undefined;
    if (result instanceof FailedTransactionMetadata)
      return { ok: false as const, error: result.toString().slice(0, 400) };
    return { ok: true as const };
  }

  async function run(instructions: Instruction[]) {
    // A random memo keeps two identical fundings from being one transaction (the blockhash does not move here).
    const memo = { programAddress: MEMO_PROGRAM, accounts: [], data: new TextEncoder().encode(randomUUID()) };
    const message = pipe(
      createTransactionMessage({ version: 0 }),
      (m) => setTransactionMessageFeePayerSigner(operator, m),
      (m) => svm.setTransactionMessageLifetimeUsingLatestBlockhash(m),
      (m) => appendTransactionMessageInstructions([...instructions, memo], m),
    );
    return send(await signTransactionMessageWithSigners(message));
  }

  const chain: SolanaChain = {
    svm,
    mint,
    payTo: receiver.address,
    feePayer,
    operator,
    tokenAccount,
    send,
    simulate,
    status,
    async fund(owner, micros) {
      const ata = await tokenAccount(owner);
      const instructions: Instruction[] = [
        getCreateAssociatedTokenIdempotentInstruction({ payer: operator, ata, owner: address(owner), mint }),
      ];
      if (micros > 0n) {
        instructions.push(
          getMintToCheckedInstruction({ mint, token: ata, mintAuthority: operator, amount: micros, decimals: 6 }),
        );
      }
      return run(instructions);
    },
    async usdcBalance(owner) {
      const account = svm.getAccount(await tokenAccount(owner));
      return account.exists ? getTokenDecoder().decode(account.data).amount : 0n;
    },
  };
  await chain.fund(receiver.address, 0n); // payments need the receiver's token account to exist
  return chain;
}
