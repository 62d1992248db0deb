import { budgetLocation, type GlobalOptions, loadBudget, loadWallet } from '../context.js';
import { startDashboard } from '../dashboard/server.js';
import { spin } from '../output.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** `venice-x402 dashboard`: serves the live spend page until Ctrl-C. */
export async function dashboard(opts: GlobalOptions, args: { host?: string; port?: string }) {
  const budget = await loadBudget(opts);
  // The wallet is optional: without a key the page shows the ledger only.
  const wallet = process.env.VENICE_WALLET_KEY || opts.keyFile ? loadWallet(opts) : undefined;
  const host = args.host ?? '127.0.0.1';
  const store = budgetLocation(opts);
  let server: Awaited<ReturnType<typeof startDashboard>>;
  try {
    server = await spin(
      'starting the dashboard',
      startDashboard({ budget, wallet, host, port: Number(args.port ?? 8790), storeLabel: store }),
      !opts.json,
    );
  } catch (error) {
    await budget.close();
    throw error;
  }
  if (opts.json) {
    const info = { url: server.url, host: server.host, port: server.port, store, wallet: wallet?.address ?? null };
    process.stdout.write(`${JSON.stringify(info)}\n`);
  } else {
    process.stdout.write(
      [
        `venice-x402 dashboard — ${store}`,
        '',
        `  ${server.url}`,
        '',
        wallet ? `wallet ${wallet.address}: balance and reconcile on` : 'no wallet key: balance and reconcile off',
        'Open the URL above (the token in it is needed for every request). Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  }
  if (!LOOPBACK.has(host))
    process.stderr.write(
      `venice-x402: the dashboard listens on ${host}, reachable from other machines over plain HTTP: the token is its only protection.\n`,
    );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  await budget.close();
  return 0;
}
