import { createX402Fetch, outcomeOf } from '@venice-x402/fetch';
import { type GlobalOptions, loadBudget, loadWallet } from '../context.js';
import { print, UsageError, usd } from '../output.js';

/** Streams a completion through the paid fetch, under the CLI's file-backed budget. */
export async function chat(opts: GlobalOptions, prompt: string | undefined, model: string, maxTokens: number) {
  if (!prompt) throw new UsageError('Usage: venice-x402 chat "<prompt>" [--model id] [--max-tokens n]');
  const budget = await loadBudget(opts);
  const paid = createX402Fetch({ wallet: loadWallet(opts), budget, baseURL: opts.baseURL, scope: opts.scope });
  const res = await paid(`${opts.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: prompt }], max_tokens: maxTokens, stream: true }),
  });
  if (!res.ok) throw new Error(`chat failed: ${res.status} ${(await res.text()).slice(0, 200)}`);
  let text = '';
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (!line.startsWith('data:') || line === 'data: [DONE]') continue;
      try {
        const delta = JSON.parse(line.slice(5)).choices?.[0]?.delta?.content ?? '';
        text += delta;
        if (!opts.json) process.stdout.write(delta);
      } catch {}
    }
  }
  // The stream has ended, so the call is settled: its outcome is there without waiting on a timer.
  const cost = (await outcomeOf(res))?.costUsd;
  await budget.close();
  if (opts.json) print(true, { model, text, costUsd: cost }, () => '');
  else process.stdout.write(`\n\n(${model}, ${usd(cost)})\n`);
}
