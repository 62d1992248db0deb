import { ConfigError } from '@venice-x402/core';
import type { GlobalOptions } from '../context.js';

/** The simulator is loaded only by `serve`: wallet commands run without it (and start faster). */
async function loadSimulator(): Promise<typeof import('@venice-x402/simulator')> {
  try {
    return await import('@venice-x402/simulator');
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new ConfigError('`venice-x402 serve` needs the simulator: npm install @venice-x402/simulator');
  }
}

/** Runs the offline simulator until interrupted. */
export async function serve(
  opts: GlobalOptions,
  args: { port?: string; chain?: string; mode?: string; 'no-balance-header'?: boolean; solana?: boolean },
) {
  const { startSimulator } = await loadSimulator();
  const sim = await startSimulator({
    port: Number(args.port ?? 8787),
    chain: args.chain === 'anvil' ? 'anvil' : 'ledger',
    mode: args.mode === 'payg' ? 'payg' : 'venice',
    balanceHeader: !args['no-balance-header'],
    solana: args.solana === true,
  });
  const info = {
    baseURL: sim.baseURL,
    signInDomain: 'api.venice.ai',
    mode: sim.mode,
    chain: sim.chain ? { rpcUrl: sim.chain.rpcUrl, chainId: 8453, usdc: sim.usdc } : undefined,
    payTo: sim.payTo,
    solana: sim.solana
      ? {
          rpcUrl: sim.solanaRpcUrl,
          usdc: sim.solana.mint,
          payTo: sim.solana.payTo,
          feePayer: sim.solana.feePayer.address,
        }
      : undefined,
  };
  if (opts.json) process.stdout.write(`${JSON.stringify(info)}\n`);
  else {
    process.stdout.write(`venice-x402 simulator (${sim.mode}${sim.chain ? ', anvil' : ''}) at ${sim.baseURL}\n`);
    if (sim.chain) process.stdout.write(`anvil RPC ${sim.chain.rpcUrl} · chain 8453 · USDC ${sim.usdc}\n`);
    if (sim.solana) process.stdout.write(`Solana VM RPC ${sim.solanaRpcUrl} · USDC ${sim.solana.mint}\n`);
    process.stdout.write(`fund a wallet with test USDC: venice-x402 faucet <address> 20 --base-url ${sim.baseURL}\n`);
    process.stdout.write(
      `export VENICE_BASE_URL=${sim.baseURL} VENICE_SIGN_IN_DOMAIN=api.venice.ai  # it checks sign-ins as Venice does\nCtrl-C to stop.\n`,
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await sim.stop();
}
