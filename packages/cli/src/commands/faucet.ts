import type { GlobalOptions } from '../context.js';
import { print, UsageError } from '../output.js';

/** Test USDC from a running simulator (`venice-x402 serve`): the way to fund a new wallet before its first top-up. */
export async function faucet(opts: GlobalOptions, address: string | undefined, amount: string | undefined) {
  const usd = Number(amount);
  if (!address || !/^0x[0-9a-fA-F]{40}$/.test(address) || !amount || !Number.isFinite(usd) || usd <= 0) {
    throw new UsageError('Usage: venice-x402 faucet <0x address> <usd>  (against a running `venice-x402 serve`)');
  }
  const origin = new URL(opts.baseURL).origin;
  let res: Response;
  try {
    res = await fetch(`${origin}/_simulator/faucet`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ address, usd }),
    });
  } catch {
    throw new UsageError(`No simulator answers at ${origin}: start one with \`venice-x402 serve\` and pass --base-url`);
  }
  if (res.status === 404)
    throw new UsageError(`${origin} is not a venice-x402 simulator: the faucet only exists in \`venice-x402 serve\``);
  const body = (await res.json().catch(() => ({}))) as { error?: string; usdcBalanceUsd?: number; address?: string };
  if (!res.ok) throw new UsageError(`The faucet refused: ${String(body.error ?? res.status).slice(0, 200)}`);
  print(opts.json, body, () => `${body.address} now holds ${body.usdcBalanceUsd} test USDC`);
}
