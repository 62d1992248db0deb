/**
 * A test setup as msw or nock install it: `globalThis.fetch` is replaced BEFORE the library is imported. Then one
 * signed chat call. Prints what the mock saw as JSON; the real server (API_BASE) must see nothing.
 */
const seen: { method: string; url: string; signedIn: boolean }[] = [];
globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
  const request = new Request(input, init);
  seen.push({ method: request.method, url: request.url, signedIn: request.headers.has('sign-in-with-x') });
  const body = request.url.endsWith('/models')
    ? { object: 'list', data: [] }
    : {
        id: 'chatcmpl-mock',
        object: 'chat.completion',
        model: 'qwen3-4b',
        choices: [{ index: 0, message: { role: 'assistant', content: 'mocked' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
        cost: { usd: 0.0001 },
      };
  return new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } });
};

const { createWallet } = await import('@venice-x402/core');
const { createX402Fetch } = await import('@venice-x402/fetch');
const baseURL = process.env.API_BASE!;
const wallet = createWallet({ privateKey: process.env.WALLET_KEY as `0x${string}` }, { baseURL });
const paid = createX402Fetch({ wallet, baseURL });
const res = await paid(`${baseURL}/chat/completions`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 }),
});
const answer = (await res.json()) as { choices: { message: { content: string } }[] };
process.stdout.write(JSON.stringify({ status: res.status, content: answer.choices[0]?.message.content, seen }));
