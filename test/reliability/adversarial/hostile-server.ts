/** A small node:http server that behaves however a test says: the hostile counterpart of the paid fetch. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BASE_NETWORK, BASE_USDC } from '@venice-x402/core';
import { encodePaymentRequired } from '@venice-x402/core/internal';
import { afterEach } from 'vitest';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface Hostile {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void | Promise<void>;

export async function startHostile(handler: Handler): Promise<Hostile> {
  const seen: Seen[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const s = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() };
    seen.push(s);
    try {
      await handler(req, res, s);
    } catch {
      res.destroy();
    }
  });
  server.keepAliveTimeout = 1;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** `hostile(handler)` for a test file: every server it starts is closed after the test that started it. */
export function useHostileServers(): (handler: Handler) => Promise<Hostile> {
  const open: Hostile[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (handler) => {
    const s = await startHostile(handler);
    open.push(s);
    return s;
  };
}

export const PAY_TO = '0x1111111111111111111111111111111111111111';

/** An x402 v2 quote for `micros` of Base USDC, as a PAYMENT-REQUIRED header value. */
export function quoteHeader(micros: bigint | bigint[], resource = 'http://gateway/resource'): string {
  const amounts = Array.isArray(micros) ? micros : [micros];
  return encodePaymentRequired({
    x402Version: 2,
    resource: { url: resource, description: 'paid', mimeType: 'application/json' },
    accepts: amounts.map((a) => ({
      scheme: 'exact',
      network: BASE_NETWORK,
      amount: String(a),
      asset: BASE_USDC,
      payTo: PAY_TO,
      maxTimeoutSeconds: 60,
      extra: { name: 'USD Coin', version: '2' },
    })),
  } as any);
}

export const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

export const chatBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10, ...extra });

/** A Venice-like chat answer that costs `usd`. */
export const chatAnswer = (usd: number, id = `chatcmpl-${Math.random().toString(36).slice(2)}`) => ({
  id,
  object: 'chat.completion',
  model: 'qwen3-4b',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 },
  cost: { usd },
});
