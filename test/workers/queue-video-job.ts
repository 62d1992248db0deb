/**
 * A process that queues a video job over a file-store budget, says so, and then waits to be killed: the job's
 * record must let another process resume it. argv: <budget file> <base URL> <private key>
 */
import { createBudget, createVeniceJobs, createWallet, fileStore } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';

const [path, baseURL, privateKey] = process.argv.slice(2) as [string, string, `0x${string}`];
const wallet = createWallet({ privateKey }, { baseURL });
const budget = createBudget({ limits: { dailyUsd: 2 } }, { store: fileStore(path) });
const jobs = createVeniceJobs({ fetch: createX402Fetch({ wallet, budget }), budget, baseURL });
const job = await jobs.queue('video', {
  model: 'grok-imagine-text-to-video-private',
  prompt: 'Waves on a pebble beach',
  duration: '5s',
});
process.stdout.write(`queued ${job.id}\n`);
setInterval(() => {}, 60_000); // never polls: it is killed first
