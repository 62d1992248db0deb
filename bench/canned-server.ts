/**
 * A server that answers like Venice and checks nothing: chat JSON with usage and cost, a balance header. It
 * runs in its own process so that only the client's own cost is measured on the client's event loop.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let n = 0;
// CANNED_DELAY_MS: answer this much later (a server that takes its time, as one verifying a signature does).
const delayMs = Number(process.env.CANNED_DELAY_MS ?? 0);
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => (delayMs > 0 ? setTimeout(answer, delayMs) : answer()));
  function answer() {
    const body = JSON.stringify({
      id: `chatcmpl-${++n}`,
      object: 'chat.completion',
      model: 'qwen3-4b',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 },
      cost: { usd: 0.000004 },
    });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-balance-remaining': '99.5',
    });
    res.end(body);
  }
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${port}`, baseURL: `http://127.0.0.1:${port}/api/v1` })}\n`,
  );
});
process.on('SIGTERM', () => process.exit(0));
