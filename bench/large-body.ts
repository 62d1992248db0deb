/**
 * Peak memory of one paid call whose JSON answer is huge: the body streams through the paid fetch (usage and
 * cost read from its tail) instead of being buffered. Run: node --import tsx bench/large-body.ts [MiB]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBudget, createEstimator, createWallet } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { generatePrivateKey } from 'viem/accounts';

const mib = Number(process.argv[2] ?? 1024);
const chunk = Buffer.alloc(1024 * 1024, 'x');
const server = createServer(async (req, res) => {
  for await (const _ of req);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"id":"big","model":"qwen3-4b","data":"');
  for (let i = 0; i < mib; i++) if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
  res.end('","usage":{"prompt_tokens":5,"completion_tokens":5},"cost":{"usd":0.0042}}');
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
const budget = createBudget();
const fetch = createX402Fetch({
  wallet: createWallet({ privateKey: generatePrivateKey() }, { baseURL }),
  budget,
  baseURL,
  estimator: createEstimator({ baseURL: null, defaultEstimateUsd: 0.05 }),
});
let peak = process.memoryUsage().rss;
const timer = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 5);
const before = process.memoryUsage().rss;
const res = await fetch(`${baseURL}/chat/completions`, { method: 'POST', body: '{"model":"qwen3-4b"}' });
let bytes = 0;
const reader = res.body!.getReader();
for (let r = await reader.read(); !r.done; r = await reader.read()) bytes += r.value.length;
await new Promise((r) => setTimeout(r, 50));
clearInterval(timer);
const report = await budget.report();
console.log(
  JSON.stringify({
    bodyMiB: Math.round(bytes / 2 ** 20),
    rssBeforeMiB: Math.round(before / 2 ** 20),
    peakRssMiB: Math.round(peak / 2 ** 20),
    committedUsd: report.totalUsd,
  }),
);
server.close();
