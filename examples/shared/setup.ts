/**
 * Every example runs offline by default: the Venice simulator (optionally on a real local chain) and a
 * brand-new wallet holding test USDC. With `--live` and VENICE_WALLET_KEY it talks to Venice instead.
 */
import { createWallet, DEFAULT_BASE_URL, type Wallet } from '@venice-x402/core';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { generatePrivateKey } from 'viem/accounts';

export interface ExampleEnv {
  live: boolean;
  baseURL: string;
  wallet: Wallet;
  sim?: Simulator;
  /** The wallet's key, for examples whose adapters take `privateKey` (offline: a fresh throwaway key). */
  privateKey: string;
  stop(): Promise<void>;
}

export const live = process.argv.includes('--live');

export async function setup(
  options: { chain?: 'ledger' | 'anvil'; mode?: 'venice' | 'payg'; fundUsd?: number } = {},
): Promise<ExampleEnv> {
  if (live) {
    const privateKey = process.env.VENICE_WALLET_KEY;
    if (!privateKey) throw new Error('--live needs VENICE_WALLET_KEY (a 0x private key with USDC on Base)');
    const baseURL = process.env.VENICE_BASE_URL ?? DEFAULT_BASE_URL;
    return { live, baseURL, privateKey, wallet: createWallet({ privateKey }, { baseURL }), stop: async () => {} };
  }
  const sim = await startSimulator({ chain: options.chain ?? 'ledger', mode: options.mode ?? 'venice' });
  const privateKey = generatePrivateKey();
  // The simulator checks sign-ins as Venice does: for api.venice.ai, whatever host it is reached at.
  const wallet = createWallet({ privateKey }, { baseURL: sim.baseURL, signIn: { domain: 'api.venice.ai' } });
  await sim.fund(wallet.address, options.fundUsd ?? 20);
  return { live, baseURL: sim.baseURL, privateKey, wallet, sim, stop: () => sim.stop() };
}

export const step = (message: string) => console.log(`\n▸ ${message}`);
export const money = (usd: number | undefined, digits = 6) => (usd === undefined ? 'n/a' : `$${usd.toFixed(digits)}`);
