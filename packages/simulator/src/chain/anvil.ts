import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { ConfigError } from '@venice-x402/core';
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

/**
 * The anvil binary: from the optional npm package (Linux x64), else an `anvil` on PATH (Foundry's foundryup).
 * Throws a ConfigError naming both when neither exists.
 */
export function anvilBinary(): string {
  try {
    return join(dirname(require.resolve('@foundry-rs/anvil-linux-amd64/package.json')), 'bin', 'anvil');
  } catch {
    // not installed (other platforms): try PATH
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, process.platform === 'win32' ? 'anvil.exe' : 'anvil');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new ConfigError(
    "chain: 'anvil' needs the anvil binary: install @foundry-rs/anvil-linux-amd64 (Linux x64) or Foundry (https://getfoundry.sh, `foundryup`) so that `anvil` is on PATH",
  );
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.stdin?.destroy(); // each guard sees EOF and kills its anvil
});

/**
 * anvil runs under a tiny shell guard that kills it when our end of its stdin closes: when this process exits
 * for any reason — SIGTERM and SIGKILL included, which run no exit handler — no anvil is left behind.
 */
const GUARD = 'anvil="$0"; "$anvil" "$@" & pid=$!; read _; kill $pid 2>/dev/null; wait $pid';

/** Starts anvil as Base (chain id 8453) on a free loopback port. Killed by `stop()` or when this process exits. */
export async function startAnvil(): Promise<AnvilChain> {
  const args = ['--port', '0', '--host', '127.0.0.1', '--chain-id', '8453', '--accounts', '3'];
  const child = spawn('sh', ['-c', GUARD, anvilBinary(), ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
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
      child.stdin!.end(); // the guard kills anvil and exits
      await Promise.race([exited, new Promise((r) => setTimeout(r, 2000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      running.delete(child);
    },
  };
}
