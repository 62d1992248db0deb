#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startSimulator } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8787' },
    chain: { type: 'string', default: 'ledger' },
    mode: { type: 'string', default: 'venice' },
    'no-balance-header': { type: 'boolean', default: false },
  },
});
const sim = await startSimulator({
  port: Number(values.port),
  chain: values.chain === 'anvil' ? 'anvil' : 'ledger',
  mode: values.mode === 'payg' ? 'payg' : 'venice',
  balanceHeader: !values['no-balance-header'],
});
console.log(`venice-x402 simulator (${sim.mode}, ${values.chain}) listening on ${sim.baseURL}`);
if (sim.chain) console.log(`anvil RPC: ${sim.chain.rpcUrl} (chain id 8453, USDC ${sim.usdc})`);
const stop = async () => {
  await sim.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
