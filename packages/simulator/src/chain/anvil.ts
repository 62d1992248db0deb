import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  type Chain,
  createTestClient,
  http,
  type LocalAccount,
  type PublicActions,
  publicActions,
  type TestClient,
  type Transport,
  type WalletActions,
  walletActions,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { base } from 'viem/chains';

const require = createRequire(import.meta.url);

/** anvil's well-known development mnemonic: its accounts are pre-funded with ETH on every local chain. */
const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

export interface AnvilChain {
  rpcUrl: string;
  chainId: number;
  /** Deploys contracts, mints USDC and pays gas for settlements (the facilitator). */
  operator: LocalAccount;
  client: AnvilClient;
  stop(): Promise<void>;
}

export type AnvilClient = TestClient<'anvil', Transport, Chain, LocalAccount> &
  PublicActions<Transport, Chain, LocalAccount> &
  WalletActions<Chain, LocalAccount>;

function makeClient(rpcUrl: string, account: LocalAccount): AnvilClient {
  return createTestClient({
    chain: { ...base, rpcUrls: { default: { http: [rpcUrl] } } },
    mode: 'anvil',
    transport: http(rpcUrl),
    account,
  })
    .extend(publicActions)
    .extend(walletActions) as unknown as AnvilClient;
}

export function anvilBinary(): string {
  return join(dirname(require.resolve('@foundry-rs/anvil-linux-amd64/package.json')), 'bin', 'anvil');
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts anvil as Base (chain id 8453) on a free loopback port. Killed by `stop()` or when this process exits. */
export async function startAnvil(): Promise<AnvilChain> {
  const child = spawn(anvilBinary(), ['--port', '0', '--host', '127.0.0.1', '--chain-id', '8453', '--accounts', '3'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const rpcUrl = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('anvil did not start within 20 s')), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /Listening on ([\d.]+:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}`);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`anvil exited early (code ${code}): ${out.slice(-300)}`));
    });
    child.once('error', reject);
  });
  child.stdout!.resume();
  child.stderr!.resume();
  const operator = mnemonicToAccount(ANVIL_MNEMONIC, { addressIndex: 0 });
  return {
    rpcUrl,
    chainId: 8453,
    operator,
    client: makeClient(rpcUrl, operator),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      running.delete(child);
    },
  };
}
