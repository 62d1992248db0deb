/** The benchmark's server in its own process, as a real API would be: credits CREDIT_ADDRESSES and API_KEYS and prints its URLs. */
import { startSimulator } from '@venice-x402/simulator';

// Venice's own client signs for the host it is given (127.0.0.1 here), and a benchmark bursts past route limits.
const sim = await startSimulator({
  chain: 'ledger',
  mode: process.env.SIM_MODE === 'payg' ? 'payg' : 'venice',
  allowedDomains: ['127.0.0.1'],
  rateLimits: false,
  // API_KEYS=<key,…>: Bearer keys with a balance, for the API-key client beside the wallet.
  apiKeys: Object.fromEntries(
    (process.env.API_KEYS ?? '')
      .split(',')
      .filter(Boolean)
      .map((key) => [key, 1000]),
  ),
});
for (const address of (process.env.CREDIT_ADDRESSES ?? '').split(',').filter(Boolean)) {
  sim.credit(address, 1000);
  await sim.fund(address, 1000);
}
process.stdout.write(`${JSON.stringify({ url: sim.url, baseURL: sim.baseURL, payTo: sim.payTo })}\n`);
process.on('SIGTERM', async () => {
  await sim.stop();
  process.exit(0);
});
