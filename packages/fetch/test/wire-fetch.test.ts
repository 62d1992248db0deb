import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ProtocolError, TimeoutError } from '@venice-x402/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { wireFetch } from '../src/wire-fetch.js';
import { WireResponse } from '../src/wire-response.js';

// A server with one route per behaviour; every request it saw is kept for the assertions.
let openSseGate = () => {};
const sseGate = new Promise<void>((r) => {
  openSseGate = r;
});
const seen: { url: string; method: string; headers: IncomingMessage['headers']; body: string }[] = [];
/** Resolves once the server has read a request for `path` (to abort a call the server is known to hold). */
const arrived = (path: string) =>
  new Promise<void>((resolve) => {
    const look = () => (seen.some((s) => s.url === path) ? resolve() : server.once('request-read', look));
    look();
  });
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/echo': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-one': 'a' });
    res.end(JSON.stringify(seen.at(-1)));
  },
  '/cookies': (_req, res) => {
    res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/']);
    res.end('ok');
  },
  '/redirect': (_req, res) => {
    res.writeHead(302, { location: 'https://elsewhere.example/steal' });
    res.end('moved');
  },
  '/slow-head': () => {}, // never answers
  '/slow-body': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"partial":'); // and nothing more
  },
  '/truncated': (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"cut":', () => req.socket.destroy()); // cut once the head and part of the body left
  },
  '/gzip': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    res.end(gzipSync(JSON.stringify({ zipped: true })));
  },
  '/sse': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"n":1}\n\n');
    sseGate.then(() => res.end('data: [DONE]\n\n')); // the rest only once the client has read the first event
  },
  '/empty': (_req, res) => {
    res.writeHead(204);
    res.end();
  },
  '/bad-status': (_req, res) => {
    res.writeHead(999);
    res.end('?');
  },
};
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '';
      seen.push({ url, method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
      server.emit('request-read');
      const route = routes[new URL(url, 'http://x').pathname];
      if (route) route(req, res);
      else res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await fetch(`${base}/echo`); // Node creates its global dispatcher on the first fetch
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const post = (path: string, init: RequestInit = {}) =>
  wireFetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"model":"m"}',
    redirect: 'manual',
    ...init,
  });

describe('wireFetch: the paid fetch transport over Node’s HTTP client', () => {
  it('sends what fetch sends (method, query, headers, body) and answers a Response', async () => {
    const res = await post('/echo?x=1&y=2', {
      headers: new Headers({ 'content-type': 'application/json', authorization: 'Bearer k', 'x-many': 'a' }),
      body: new TextEncoder().encode('{"model":"m"}'),
    });
    expect(res).toBeInstanceOf(Response);
    expect(res).toBeInstanceOf(WireResponse); // not handed to fetch
    expect([res.status, res.ok, res.statusText, res.url]).toEqual([200, true, 'OK', `${base}/echo?x=1&y=2`]);
    expect(res.headers.get('x-one')).toBe('a');
    const got = await res.json();
    expect(got.url).toBe('/echo?x=1&y=2');
    expect(got.method).toBe('POST');
    expect(got.body).toBe('{"model":"m"}');
    expect(got.headers).toMatchObject({
      'content-type': 'application/json',
      authorization: 'Bearer k',
      'x-many': 'a',
      'content-length': '13',
      accept: '*/*',
      'user-agent': 'node',
      host: new URL(base).host,
    });
    expect(got.headers['accept-encoding']).toBeUndefined(); // answers come uncompressed
    expect(res.bodyUsed).toBe(true);
    await expect(res.text()).rejects.toThrow(TypeError);
  });

  it('keeps every Set-Cookie, returns a redirect unfollowed, a 204 without a body', async () => {
    const cookies = await post('/cookies');
    expect(cookies.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(await cookies.text()).toBe('ok');
    const moved = await post('/redirect');
    expect([moved.status, moved.headers.get('location')]).toEqual([302, 'https://elsewhere.example/steal']);
    expect(seen.some((s) => s.url === '/steal')).toBe(false);
    await moved.body?.cancel();
    const empty = await post('/empty');
    expect([empty.status, empty.body]).toEqual([204, null]);
  });

  it('rejects with the abort reason before the answer and while the body is read, like fetch', async () => {
    const early = new AbortController();
    const unanswered = post('/slow-head', { signal: early.signal });
    await arrived('/slow-head');
    early.abort(new TimeoutError('no answer'));
    await expect(unanswered).rejects.toBeInstanceOf(TimeoutError);
    const late = new AbortController();
    const res = await post('/slow-body', { signal: late.signal });
    const reading = res.json(); // the body never ends: only the abort can end the read
    late.abort(new TimeoutError('body stalled'));
    await expect(reading).rejects.toThrow('body stalled');
    const streamed = new AbortController();
    const res2 = await post('/slow-body', { signal: streamed.signal });
    const reader = res2.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('{"partial":');
    streamed.abort(new TimeoutError('stream stalled'));
    await expect(reader.read()).rejects.toThrow('stream stalled');
    const already = new AbortController();
    already.abort(new TimeoutError('before'));
    await expect(post('/echo', { signal: already.signal })).rejects.toThrow('before');
  });

  it('fails as fetch fails: TypeError "fetch failed" with the cause, "terminated" for a cut body', async () => {
    const refused = await wireFetch('http://127.0.0.1:1/x', { method: 'POST', body: 'x', redirect: 'manual' }).catch(
      (e) => e,
    );
    expect(refused).toBeInstanceOf(TypeError);
    expect(refused.message).toBe('fetch failed');
    expect(refused.cause.code).toBe('ECONNREFUSED');
    const cut = await post('/truncated');
    expect(cut.status).toBe(200);
    const error = await cut.text().catch((e) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('terminated');
    // Reset before anyone reads: nothing crashes meanwhile, the reader gets the error later.
    // A round trip to the server after the cut: the client has taken in the reset by the time it is answered.
    const unread = await post('/truncated');
    await (await post('/echo')).text();
    await expect(unread.json()).rejects.toThrow('terminated');
    const unreadStream = await post('/truncated');
    await (await post('/echo')).text();
    const chunks: Uint8Array[] = [];
    const failed = await (async () => {
      for await (const c of unreadStream.body as any) chunks.push(c);
    })().catch((e) => e);
    expect(failed).toBeInstanceOf(TypeError);
    // Answered, but no Response can carry status 999: a ProtocolError, which the paid fetch does not retry.
    const bad = await post('/bad-status').catch((e) => e);
    expect(bad).toBeInstanceOf(ProtocolError);
    expect(bad.details.status).toBe(999);
  });

  it('decodes a compressed answer nobody asked for; an asked-for encoding goes through fetch', async () => {
    const zipped = await post('/gzip');
    expect(zipped.headers.get('content-encoding')).toBeNull();
    expect(await zipped.json()).toEqual({ zipped: true });
    const viaFetch = await post('/gzip', { headers: { 'accept-encoding': 'gzip' } });
    expect(viaFetch).not.toBeInstanceOf(WireResponse);
    expect(await viaFetch.json()).toEqual({ zipped: true });
    expect(seen.at(-1)!.headers['sec-fetch-mode']).toBe('cors'); // fetch's own header: it went through fetch
  });

  it('streams: the first event is readable before the server sends the last', async () => {
    const res = await post('/sse');
    const reader = res.body!.getReader();
    const first = await reader.read(); // would hang if the transport buffered the body
    expect(first.value).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(first.value)).toBe(false); // a plain Uint8Array, as fetch hands out
    expect(new TextDecoder().decode(first.value)).toBe('data: {"n":1}\n\n');
    openSseGate();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe('data: [DONE]\n\n');
  });

  it('clone(), blob() and arrayBuffer() work as on any Response', async () => {
    const a = await post('/echo');
    const b = a.clone();
    expect((await a.json()).method).toBe('POST');
    expect(JSON.parse(await (await b.blob()).text()).method).toBe('POST');
    const c = await post('/echo');
    expect(JSON.parse(new TextDecoder().decode(await c.arrayBuffer())).method).toBe('POST');
  });

  it('hands the call to globalThis.fetch when it was replaced, or for what it does not take', async () => {
    const stub = vi.fn(async () => new Response('stubbed'));
    vi.stubGlobal('fetch', stub);
    try {
      expect(await (await post('/echo')).text()).toBe('stubbed');
    } finally {
      vi.unstubAllGlobals();
    }
    expect(stub).toHaveBeenCalledTimes(1);
    // Redirects to follow, streams as bodies, credentials in the URL: fetch's own rules apply.
    const followed = await wireFetch(`${base}/echo`, { method: 'POST', body: 'x' });
    expect(followed).not.toBeInstanceOf(WireResponse);
    await followed.body?.cancel();
    await expect(wireFetch(`http://u:p@127.0.0.1:1/`, { redirect: 'manual' })).rejects.toThrow(TypeError);
  });
});
