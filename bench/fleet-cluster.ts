/**
 * A fleet on a Redis Cluster: 8 processes × 500 paid calls (paid fetch → simulator, one wallet per process) under one
 * tight cap. Prints calls per second, process start-up included. Usage:
 * `VENICE_SIGN_IN_DOMAIN=api.venice.ai node --conditions=venice-x402-source --import tsx bench/fleet-cluster.ts [capUsd]`
 */
import { runFleet } from '../test/reliability/fleet-run.js';

process.env.VENICE_SIGN_IN_DOMAIN ??= 'api.venice.ai'; // the simulator accepts Venice's sign-in domain only
const capUsd = Number(process.argv[2] ?? 0.05);
const run = await runFleet({ processes: 8, calls: 500, capUsd });
const count = (k: string) => run.processes.reduce((n, p) => n + (p.outcomes[k] ?? 0), 0);
const calls = run.processes.reduce((n, p) => n + Object.values(p.outcomes).reduce((a, b) => a + b, 0), 0);
const slowest = Math.max(...run.processes.map((p) => p.ms));
const charged = [...run.charges.values()].reduce((a, b) => a + b, 0n);
console.log(
  `${calls} calls (${count('ok')} paid, ${count('BUDGET_EXCEEDED')} refused by the cap $${capUsd}) in ${(run.elapsedMs / 1000).toFixed(1)} s ` +
    `with process start-up: ${Math.round(calls / (run.elapsedMs / 1000))} calls/s, ${Math.round(count('ok') / (run.elapsedMs / 1000))} paid/s; ` +
    `slowest process's calls alone ${(slowest / 1000).toFixed(1)} s (${Math.round(calls / (slowest / 1000))} calls/s). ` +
    `Charged $${Number(charged) / 1e6}, ledger ${run.ledger.size === run.charges.size ? '=' : '≠'} charges, reserved ${run.reservedMicros}.`,
);
