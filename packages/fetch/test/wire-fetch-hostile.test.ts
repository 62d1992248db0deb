/**
 * The wire transport (undici's dispatcher, `WireResponse`) against servers that misbehave and callers that
 * are unlucky: nothing may crash the process, hang, leak a socket, hand out other bytes than fetch would, or
 * leave a budget hold behind. Every server is the test's own, on a free loopback port.
 */
import { getEventListeners } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Socket } from 'node:net';
import * as zlib from 'node:zlib';
import { createBudget, createEstimator, ProtocolError, TimeoutError } from '@venice-x402/core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { signal } from '../../../test/helpers/signal.js';
import { ManualClock } from '../../../test/manual-clock.js';
import { createX402Fetch } from '../src/create-x402-fetch.js';
import { outcomeOf } from '../src/outcome.js';
import { wireFetch } from '../src/wire-fetch.js';
import { WireResponse } from '../src/wire-response.js';

interface Server {
  url: string;
  /** Sockets that carried a request and are still open. */
  open: Set<Socket>;
  /** Requests it saw (raw servers: one per connection's first packet). */
  hits: number;
  /** Resolves once no socket that carried a request is open any more. */
  drained(): Promise<void>;
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function track(server: ReturnType<typeof createNetServer>, hits: () => number): Promise<Server> {
  const open = new Set<Socket>();
  const all = new Set<Socket>();
  const waiting: (() => void)[] = [];
  server.on('connection', (socket: Socket) => {
    all.add(socket);
    // After an abort undici opens a spare connection that sends nothing (fetch alike): not counted.
    socket.once('data', () => open.add(socket));
    socket.on('close', () => {
      open.delete(socket);
      all.delete(socket);
      if (open.size === 0) for (const resolve of waiting.splice(0)) resolve();
    });
  });
  const drained = () => (open.size === 0 ? Promise.resolve() : new Promise<void>((r) => waiting.push(r)));
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const s: Server = {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        open,
        get hits() {
          return hits();
        },
        drained,
        close: () =>
          new Promise<void>((r) => {
            for (const socket of all) socket.destroy();
            server.close(() => r());
          }),
      };
      servers.push(s);
      resolve(s);
    }),
  );
}

/** A node:http server: the handler sees the request after its body was read. */
function httpServer(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<Server> {
  let hits = 0;
  const server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      hits++;
      handler(req, res, body);
    });
  });
  return track(server, () => hits);
}

/** A raw TCP server: whatever bytes the test wants, once the request's first packet arrived. */
function rawServer(answer: (socket: Socket) => void): Promise<Server> {
  let hits = 0;
  const server = createNetServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      hits++;
      answer(socket);
    });
  });
  return track(server, () => hits);
}

const head = (status: string, headers: Record<string, string> = {}) =>
  `HTTP/1.1 ${status}\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

const get = (url: string, init: RequestInit = {}) => wireFetch(url, { redirect: 'manual', ...init });

beforeAll(async () => {
  await fetch('http://127.0.0.1:1/').catch(() => {}); // Node creates its global dispatcher on the first fetch
});

describe('wireFetch against a hostile server', () => {
  it('hands out UTF-8 header bytes as fetch does (latin1), not a failed call', async () => {
    const value = Buffer.from('café € 🙂', 'utf8');
    const s = await rawServer((socket) =>
      socket.end(
        Buffer.concat([
          Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-name: '),
          value,
          Buffer.from('\r\nx-plain: ok\r\n\r\nhi'),
        ]),
      ),
    );
    const viaFetch = await fetch(s.url);
    await viaFetch.text();
    const res = await get(s.url);
    expect(res).toBeInstanceOf(WireResponse);
    expect(res.headers.get('x-name')).toBe(viaFetch.headers.get('x-name'));
    expect(res.headers.get('x-name')).toBe(value.toString('latin1'));
    expect(res.headers.get('x-plain')).toBe('ok');
    expect(await res.text()).toBe('hi');
    // Bytes that are not UTF-8 at all: undici's request() already replaced them (U+FFFD), so they differ from
    // fetch's; the answer itself still arrives.
    const s2 = await rawServer((socket) =>
      socket.end(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-name: \xff\x80\r\n\r\nhi', 'latin1')),
    );
    const odd = await get(s2.url);
    expect([odd.status, await odd.text()]).toEqual([200, 'hi']);
  });

  it('a body error arriving with the headers (same packet) crashes nothing', async () => {
    const s = await rawServer((socket) =>
      socket.end(`${head('200 OK', { 'transfer-encoding': 'chunked' })}zz\r\ngarbage\r\n`),
    );
    for (let i = 0; i < 20; i++) {
      const res = await get(s.url).catch((e) => e);
      if (res instanceof Response) await expect(res.text()).rejects.toThrow(TypeError);
      else expect(res).toBeInstanceOf(TypeError);
    }
  });

  it('a corrupt gzip body fails the read and closes the connection, not a socket left hanging', async () => {
    const s = await rawServer((socket) => {
      socket.write(`${head('200 OK', { 'content-encoding': 'gzip', 'transfer-encoding': 'chunked' })}`);
      socket.write('f\r\nnot gzip at all\r\n'); // and the response never ends
    });
    const res = await get(s.url);
    await expect(res.json()).rejects.toThrow(TypeError);
    await s.drained(); // the client closes the connection
  });

  it('cancelling a gzip stream closes the connection, as it does for a plain one', async () => {
    const s = await rawServer((socket) => {
      socket.write(`${head('200 OK', { 'content-encoding': 'gzip', 'content-type': 'text/event-stream' })}`);
      const gzip = zlib.createGzip({ flush: zlib.constants.Z_SYNC_FLUSH });
      gzip.pipe(socket);
      gzip.write('data: {"n":1}\n\n'); // and then nothing, forever
    });
    const res = await get(s.url);
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: {"n":1}\n\n');
    await reader.cancel();
    await s.drained(); // the client closes the connection
  });

  it('aborting while a gzip body is read rejects with the reason and closes the connection', async () => {
    const s = await rawServer((socket) => {
      socket.write(`${head('200 OK', { 'content-encoding': 'gzip' })}`);
      const gzip = zlib.createGzip({ flush: zlib.constants.Z_SYNC_FLUSH });
      gzip.pipe(socket);
      gzip.write('{"partial":');
    });
    const ac = new AbortController();
    const res = await get(s.url, { signal: ac.signal });
    const reading = res.json(); // the body never ends: only the abort can end the read
    ac.abort(new TimeoutError('stalled'));
    await expect(reading).rejects.toThrow('stalled');
    await s.drained(); // the client closes the connection
  });

  it('decodes what fetch decodes: stacked codings, repeated headers, a gzip/deflate/br cut short', async () => {
    const bodies: Record<string, [Record<string, string>, Buffer]> = {
      stacked: [{ 'content-encoding': 'gzip, br' }, zlib.brotliCompressSync(zlib.gzipSync('{"a":1}'))],
      cased: [{ 'content-encoding': ' GZIP ' }, zlib.gzipSync('{"a":1}')],
      gzipCut: [{ 'content-encoding': 'gzip' }, zlib.gzipSync('{"a":1}').subarray(0, -6)],
      deflateCut: [{ 'content-encoding': 'deflate' }, zlib.deflateSync('{"a":1}').subarray(0, -4)],
      brCut: [{ 'content-encoding': 'br' }, zlib.brotliCompressSync('{"a":1} ').subarray(0, -2)],
      unknown: [{ 'content-encoding': 'x-unknown, gzip' }, zlib.gzipSync('{"a":1}')],
    };
    for (const [name, [headers, bytes]] of Object.entries(bodies)) {
      const server = await rawServer((socket) =>
        socket.end(Buffer.concat([Buffer.from(head('200 OK', headers)), bytes])),
      );
      const viaFetch = await fetch(server.url);
      const expected = new Uint8Array(await viaFetch.arrayBuffer());
      const res = await get(server.url);
      expect([name, new Uint8Array(await res.arrayBuffer())]).toEqual([name, expected]);
    }
    // Repeated content-encoding headers are one list, as fetch reads them.
    const repeated = await rawServer((socket) =>
      socket.end(
        Buffer.concat([
          Buffer.from('HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-encoding: gzip\r\n\r\n'),
          zlib.gzipSync(zlib.gzipSync('{"a":1}')),
        ]),
      ),
    );
    expect(await (await get(repeated.url)).json()).toEqual({ a: 1 });
    // zstd where zlib has it (Node ≥ 22.15; fetch decodes it from Node 24): decoded; elsewhere an unknown coding.
    const zstdCompress = (zlib as any).zstdCompressSync as ((b: string) => Buffer) | undefined;
    const zstd = await rawServer((socket) =>
      socket.end(
        Buffer.concat([
          Buffer.from(head('200 OK', { 'content-encoding': 'zstd' })),
          zstdCompress ? zstdCompress('{"a":1}') : Buffer.from('{"a":1}'),
        ]),
      ),
    );
    const zstdRes = await get(zstd.url);
    expect(zstdRes.headers.get('content-encoding')).toBe(zstdCompress ? null : 'zstd');
    expect(await zstdRes.json()).toEqual({ a: 1 });
  });

  it('without process.getBuiltinModule (Node 20 before 20.16) the call goes to fetch, which decodes', async () => {
    const s = await rawServer((socket) =>
      socket.end(
        Buffer.concat([Buffer.from(head('200 OK', { 'content-encoding': 'gzip' })), zlib.gzipSync('{"a":1}')]),
      ),
    );
    const original = process.getBuiltinModule;
    (process as any).getBuiltinModule = undefined;
    try {
      const res = await get(s.url);
      expect(res).not.toBeInstanceOf(WireResponse);
      expect(await res.json()).toEqual({ a: 1 });
    } finally {
      process.getBuiltinModule = original;
    }
  });

  it('a gzip bomb read as a stream is decoded as pulled, not all at once', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(256 * 1024 * 1024)); // 256 MiB of zeros in ≈ 250 KiB
    const s = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
      res.end(bomb);
    });
    const before = process.memoryUsage().arrayBuffers;
    const res = await get(s.url);
    const reader = res.body!.getReader();
    let got = 0;
    while (got < 4 * 1024 * 1024) got += (await reader.read()).value!.length;
    // Kept real: a negative check (nothing to await) that gives an eager decoder time to run ahead.
    await new Promise((r) => setTimeout(r, 200));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(128 * 1024 * 1024);
    await reader.cancel();
    await s.drained(); // the client closes the connection
  });

  it('a reset after the headers, read never, read later: the reader gets "terminated", nothing crashes', async () => {
    const s = await rawServer((socket) => {
      socket.write(head('200 OK', { 'content-length': '100' }));
      socket.write('{"a":');
    });
    const unread = await get(s.url);
    const streamed = await get(s.url);
    for (const socket of s.open) socket.resetAndDestroy(); // both calls have their headers: reset them now
    await s.drained();
    await expect(unread.text()).rejects.toThrow('terminated');
    const reader = streamed.body!.getReader();
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toThrow('terminated');
  });

  it('the server closing its keep-alive socket between calls: the next call still works', async () => {
    let n = 0;
    const s = await httpServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive' });
      res.end(JSON.stringify({ n: ++n }));
      res.on('finish', () => req.socket.destroy());
    });
    for (let i = 1; i <= 5; i++) {
      expect(await (await get(s.url, { method: 'POST', body: '{}' })).json()).toEqual({ n: i });
      await s.drained(); // the server closed the socket
    }
  });

  it('a body longer than its content-length: the answer is the declared bytes, the next call works', async () => {
    let first = true;
    const s = await rawServer((socket) => {
      const extra = first ? ' and some trailing garbage' : '';
      first = false;
      socket.write(`${head('200 OK', { 'content-length': '2' })}${extra ? 'hi' : 'ok'}${extra}`);
    });
    expect(await (await get(s.url)).text()).toBe('hi');
    expect(await (await get(s.url)).text()).toBe('ok');
  });

  it('204 or 304 with a body, HEAD: no body, and the connection is not left dirty', async () => {
    const s = await httpServer((req, res) => {
      if (req.url === '/204') res.writeHead(204, { 'x-a': '1' }).end();
      else if (req.url === '/304') res.writeHead(304).end();
      else res.writeHead(200, { 'content-type': 'application/json', 'content-length': '7' }).end('{"a":1}');
    });
    const none = await get(`${s.url}/204`);
    expect([none.status, none.body, await none.text()]).toEqual([204, null, '']);
    expect((await get(`${s.url}/304`)).body).toBeNull();
    const h = await get(`${s.url}/x`, { method: 'HEAD' });
    expect([h.status, h.headers.get('content-length'), await h.text()]).toEqual([200, '7', '']);
    expect(await (await get(`${s.url}/x`)).json()).toEqual({ a: 1 });
    // A raw 204 that carries a body anyway.
    const raw = await rawServer((socket) => socket.end(`${head('204 No Content', { 'content-length': '5' })}hello`));
    const r = await get(raw.url);
    expect([r.status, r.body]).toEqual([204, null]);
  });

  it('invalid, duplicate and huge response headers fail or pass as fetch does, without a crash', async () => {
    const answers = [
      head('200 OK', { 'content-length': '2', 'bad header': 'x' }),
      `HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nhi`,
      head('200 OK', { 'content-length': '2', 'x-big': 'a'.repeat(128 * 1024) }),
      `HTTP/1.1 200 OK\r\nx-a: 1\r\nx-a: 2\r\ncontent-length: 2\r\n\r\nhi`,
      head('100 Continue'),
      head('101 Switching Protocols', { upgrade: 'websocket', connection: 'upgrade' }),
      `HTTP/1.1 200 OK\r\nx-split: a\r\n b\r\ncontent-length: 2\r\n\r\nhi`,
      'NOT HTTP AT ALL\r\n\r\n',
      'HTTP/1.0 200 OK\r\nx-old: 1\r\n\r\n',
      `${head('103 Early Hints', { link: '</a>' })}${head('200 OK', { 'x-final': '1', 'content-length': '2' })}hi`,
      head('200 OK', { 'content-length': '2', 'transfer-encoding': 'chunked' }),
      head('200 OK', { 'content-length': '-1' }),
      `HTTP/1.1 200 OK\r\nx-nul: a\0b\r\ncontent-length: 2\r\n\r\n`,
    ];
    for (const answer of answers) {
      const s = await rawServer((socket) => socket.end(answer.endsWith('\r\n\r\n') ? `${answer}hi` : answer));
      const viaFetch = await fetch(s.url).then(
        async (r) => [r.status, [...r.headers].filter(([k]) => k.startsWith('x-')), await r.text()],
        (e) => e.constructor.name,
      );
      const viaWire = await get(s.url).then(
        async (r) => [r.status, [...r.headers].filter(([k]) => k.startsWith('x-')), await r.text()],
        (e) => e.constructor.name,
      );
      expect([answer.slice(0, 60), viaWire]).toEqual([answer.slice(0, 60), viaFetch]);
    }
  });

  it('a header named like an Object member: undici’s request() fails the call (fetch does not), no crash', async () => {
    // undici 6 parses the answer's headers into a plain object: `constructor` is found on its prototype and
    // `val.push` throws inside undici, before wireFetch sees anything. Pinned here as a known difference.
    const s = await rawServer((socket) =>
      socket.end(`${head('200 OK', { constructor: 'x', 'content-length': '2' })}hi`),
    );
    const viaFetch = await fetch(s.url);
    expect(await viaFetch.text()).toBe('hi');
    const viaWire = await get(s.url).then(
      (r) => r.text(),
      (e) => e,
    );
    expect(viaWire === 'hi' || viaWire instanceof ProtocolError).toBe(true);
    // Through the paid fetch: answered once, never re-sent (the server may have billed what it answered).
    const api = await rawServer((socket) =>
      socket.end(
        `${head('200 OK', { constructor: 'x', 'content-type': 'application/json', 'content-length': String(chatAnswer.length) })}${chatAnswer}`,
      ),
    );
    const { call, held } = paid(api, { maxRetries: 3 });
    expect(['status 200', 'call ProtocolError']).toContain(await outcome(call()));
    expect(api.hits).toBe(1);
    expect(await held()).toBe(0);
  });

  it('a request header that would inject a line is refused before anything is sent', async () => {
    const s = await httpServer((_req, res) => res.end('ok'));
    for (const headers of [{ 'x-a': 'b\r\nx-injected: 1' }, { 'x-a\r\nx-injected': '1' }, [['x-a', 'b\nc']]]) {
      await expect(get(s.url, { headers: headers as HeadersInit })).rejects.toThrow(TypeError);
    }
    expect(s.hits).toBe(0);
    // A body given as a view into a larger buffer sends the view's bytes only.
    const echo = await httpServer((_req, res, body) => res.end(body));
    const body = new TextEncoder().encode('xxhelloxx').subarray(2, 7);
    expect(await (await get(echo.url, { method: 'POST', body })).text()).toBe('hello');
  });

  it('a slow-loris trickle of headers is cut by the caller’s abort, with its reason, and the socket closed', async () => {
    const trickling = signal();
    const s = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      let lines = 0;
      // The server's own pace: a header line now and then, never the end of the head.
      const t = setInterval(() => {
        socket.write('x-a: b\r\n');
        if (++lines === 3) trickling.resolve();
      }, 20);
      socket.on('close', () => clearInterval(t));
    });
    const ac = new AbortController();
    const pending = get(s.url, { signal: ac.signal });
    await trickling.promise;
    ac.abort(new TimeoutError('headers too slow'));
    await expect(pending).rejects.toThrow('headers too slow');
    await s.drained(); // the client closes the connection
  });

  it('the caller aborting at every stage: its reason, no socket left, no listener left on its signal', async () => {
    let release = () => {};
    let heldHead = signal();
    const s = await httpServer((req, res) => {
      if (req.url === '/head') {
        release = () => res.writeHead(200).end('late');
        return heldHead.resolve();
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":');
    });
    for (const stage of ['before', 'headers', 'unread', 'json', 'stream', 'blob', 'clone'] as const) {
      const ac = new AbortController();
      const reason = new TimeoutError(`abort at ${stage}`);
      if (stage === 'before') ac.abort(reason);
      const path = stage === 'headers' ? '/head' : '/body';
      const pending = get(`${s.url}${path}`, { signal: ac.signal });
      if (stage === 'before' || stage === 'headers') {
        if (stage === 'headers') {
          await heldHead.promise; // the server holds the request: no answer can come before the abort
          heldHead = signal();
          ac.abort(reason);
        }
        await expect(pending).rejects.toBe(reason);
        release();
      } else {
        const res = await pending;
        if (stage === 'unread') {
          ac.abort(reason);
          await expect(res.text()).rejects.toBe(reason);
        } else {
          // The body never ends (the server sent part of it): only the abort can end these reads.
          const reading = readUntilAborted(res, stage);
          ac.abort(reason);
          await expect(reading).rejects.toBe(reason);
        }
      }
      await s.drained(); // no socket left after the abort
      await vi.waitFor(() => expect([stage, getEventListeners(ac.signal, 'abort')]).toEqual([stage, []]));
    }
  });

  /** Starts reading, the way `stage` names, a body that never ends. */
  async function readUntilAborted(res: Response, stage: 'json' | 'stream' | 'blob' | 'clone') {
    if (stage === 'json') return res.json();
    if (stage === 'blob') return res.blob();
    if (stage === 'clone') return res.clone().text();
    const reader = res.body!.getReader();
    await reader.read();
    return reader.read();
  }

  it('read twice, clone after reading, body then json, json then body: as a Response does', async () => {
    const s = await httpServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":1}'),
    );
    const a = await get(s.url);
    expect(await a.json()).toEqual({ a: 1 });
    await expect(a.json()).rejects.toThrow(TypeError);
    await expect(a.text()).rejects.toThrow(TypeError);
    await expect(a.blob()).rejects.toThrow(TypeError);
    expect(() => a.clone()).toThrow(TypeError);
    expect(a.bodyUsed).toBe(true);
    const b = await get(s.url);
    const stream = b.body!;
    expect(b.bodyUsed).toBe(false);
    expect(await b.json()).toEqual({ a: 1 }); // body looked at, never read: json still reads it
    expect(stream.locked).toBe(true);
    const c = await get(s.url);
    await c.body!.getReader().read();
    await expect(c.json()).rejects.toThrow(TypeError);
    const d = await get(s.url);
    const d2 = d.clone();
    expect(await d.text()).toBe('{"a":1}');
    expect(await d2.json()).toEqual({ a: 1 });
  });

  it('stream chunks own their memory, as fetch’s do: `.buffer` holds no headers, no framing', async () => {
    const s = await httpServer((_req, res) => {
      res.writeHead(200, { 'x-secret': 'token-abc', 'content-type': 'application/json' });
      res.end('{"a":1}');
    });
    const res = await get(s.url);
    const chunks: Uint8Array[] = [];
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
    const whole = Buffer.concat(chunks.map((c) => new Uint8Array(c.buffer))).toString('latin1');
    expect(whole).toBe('{"a":1}');
  });

  it('a 200 MiB body streams through with every byte, in bounded memory', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 7);
    const total = 200;
    const s = await httpServer((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(total * chunk.length),
      });
      let sent = 0;
      const more = () => {
        while (sent < total) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    });
    const res = await get(s.url);
    let size = 0;
    let wrong = 0;
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += c.length;
      if (c[0] !== 7 || c[c.length - 1] !== 7) wrong++;
    }
    expect([size, wrong]).toEqual([total * chunk.length, 0]);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------------------------
// The same through the paid fetch: after every hostile answer the hold is gone and the process is alive.

const estimator = () =>
  createEstimator({
    baseURL: null,
    defaultEstimateUsd: 0.05,
    models: [{ id: 'qwen3-4b', type: 'text', input: 0.05, output: 0.15, maxCompletionTokens: 8192 }],
  });
const chat = JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 10 });
const chatAnswer = JSON.stringify({
  id: 'chatcmpl-1',
  model: 'qwen3-4b',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 5, completion_tokens: 5 },
  cost: { usd: 0.001 },
});

function paid(server: Server, extra: Record<string, unknown> = {}) {
  const budget = createBudget({ limits: { dailyUsd: 100 } });
  const fetch = createX402Fetch({
    apiKey: 'sk-x',
    baseURL: `${server.url}/api/v1`,
    budget,
    estimator: estimator(),
    maxRetries: 0,
    ...extra,
  });
  const call = (init: RequestInit = {}) =>
    fetch(`${server.url}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chat,
      ...init,
    });
  const held = async () => (await budget.report()).windows.reduce((sum, w) => sum + w.reservedUsd, 0);
  return { fetch, call, budget, held };
}

/**
 * Reads whatever the paid fetch answered, however it failed: the outcome's kind, never a throw. It returns once
 * the call is settled (a call that threw settled before it did).
 */
async function outcome(pending: Promise<Response>): Promise<string> {
  try {
    const res = await pending;
    try {
      await res.text();
      return `status ${res.status}`;
    } catch (error) {
      return `read ${(error as Error).constructor.name}`;
    } finally {
      await outcomeOf(res);
    }
  } catch (error) {
    return `call ${(error as Error).constructor.name}`;
  }
}

describe('the paid fetch over the wire transport against a hostile server', () => {
  const hostile: Record<string, (socket: Socket) => void> = {
    'reset before headers': (socket) => socket.resetAndDestroy(),
    'reset after headers': (socket) => {
      socket.write(head('200 OK', { 'content-type': 'application/json', 'content-length': '500' }));
      socket.write('{"id":');
      setTimeout(() => socket.resetAndDestroy(), 20);
    },
    'body shorter than content-length': (socket) =>
      socket.end(`${head('200 OK', { 'content-type': 'application/json', 'content-length': '500' })}{"id":"x"}`),
    'chunked garbage': (socket) =>
      socket.end(`${head('200 OK', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })}zz\r\n`),
    'corrupt gzip': (socket) =>
      socket.end(`${head('200 OK', { 'content-type': 'application/json', 'content-encoding': 'gzip' })}not gzip`),
    'status 600': (socket) => socket.end(`${head('600 Odd', { 'content-length': '2' })}{}`),
    '100 Continue only': (socket) => socket.end(head('100 Continue')),
    'not HTTP': (socket) => socket.end('SSH-2.0-OpenSSH\r\n'),
    'sse cut mid-frame': (socket) =>
      socket.end(
        `${head('200 OK', { 'content-type': 'text/event-stream' })}data: {"choices":[{"delta":{"content":"a"}}]}\n\ndata: {"cho`,
      ),
    'sse reset mid-frame': (socket) => {
      socket.write(`${head('200 OK', { 'content-type': 'text/event-stream' })}data: {"choices":[{"delta":`);
      setTimeout(() => socket.resetAndDestroy(), 20);
    },
    'utf-8 header': (socket) =>
      socket.end(
        Buffer.concat([
          Buffer.from('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-model-name: '),
          Buffer.from('qwen · 4b €', 'utf8'),
          Buffer.from(`\r\ncontent-length: ${chatAnswer.length}\r\n\r\n${chatAnswer}`),
        ]),
      ),
  };

  // The two resets 20 ms after the first bytes are the server's own pacing, not a wait of the test: whenever the
  // reset lands, the wire transport and fetch must agree, and no hold may be left.
  // Node 20's fetch never settles a body that is not the gzip it claims (undici 6.24): not compared there.
  const fetchHangs = new Set(['corrupt gzip']);
  for (const [name, answer] of Object.entries(hostile)) {
    it(`${name}: no hold left, no crash, the same outcome as with fetch`, async () => {
      const s = await rawServer(answer);
      const wire = paid(s);
      const viaWire = await outcome(wire.call());
      await s.drained();
      expect(await wire.held()).toBe(0);
      if (fetchHangs.has(name) || name === 'status 600') return;
      const old = paid(s, { fetch: globalThis.fetch });
      expect(viaWire).toBe(await outcome(old.call()));
      expect(await old.held()).toBe(0);
    });
  }

  it('status 600: fetch hands it back; the wire transport fails it once, not retried (it may be billed)', async () => {
    const s = await rawServer((socket) => socket.end(`${head('600 Odd', { 'content-length': '2' })}{}`));
    expect(await outcome(paid(s, { maxRetries: 3 }).call())).toBe('call ProtocolError');
    expect(s.hits).toBe(1);
    expect(await outcome(paid(s, { fetch: globalThis.fetch }).call())).toBe('status 600');
  });

  it('a 307 to another origin is returned, nothing reaches the other origin, the hold is freed', async () => {
    const thief = await httpServer((_req, res) => res.writeHead(200).end('stolen'));
    const api = await httpServer((_req, res) =>
      res.writeHead(307, { location: `${thief.url}/api/v1/chat/completions` }).end('moved'),
    );
    const { call, held } = paid(api);
    const res = await call();
    expect([res.status, res.headers.get('location')]).toEqual([307, `${thief.url}/api/v1/chat/completions`]);
    expect(thief.hits).toBe(0);
    expect(await held()).toBe(0);
    await res.body?.cancel();
  });

  it('an SSE answer the caller never reads is cut by the idle timer, its hold freed and its socket closed', async () => {
    const s = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"choices":[{"delta":{"content":"a"}}]}\n\n');
    });
    const clock = new ManualClock();
    const { call, held } = paid(s, { clock, streamIdleTimeoutMs: 30_000 });
    const res = await call({ body: JSON.stringify({ ...JSON.parse(chat), stream: true }) });
    expect(res.status).toBe(200);
    await clock.scheduled((ms) => ms === 30_000);
    clock.advance(30_000);
    await outcomeOf(res);
    expect(await held()).toBe(0);
    await s.drained(); // the cut stream closed its socket
  });

  it('a gzip bomb answer is not buffered whole; the caller cancels, the hold is freed, the socket closed', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(256 * 1024 * 1024, 0x20)); // 256 MiB of spaces
    const s = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
      res.end(bomb);
    });
    const { call, held } = paid(s);
    const before = process.memoryUsage().arrayBuffers;
    const res = await call();
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(128 * 1024 * 1024);
    await res.body!.cancel();
    await outcomeOf(res);
    expect(await held()).toBe(0);
    await s.drained(); // the cancelled body closed its socket
  });

  it('a 200 MiB JSON answer streams through the paid fetch, every byte, and settles at its end', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const total = 200;
    const s = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no length declared
      res.write('{"id":"big","pad":"');
      let sent = 0;
      const more = () => {
        while (sent < total) {
          sent++;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end('","usage":{"prompt_tokens":5,"completion_tokens":5},"cost":{"usd":0.002}}');
      };
      more();
    });
    const { call, held, budget } = paid(s);
    const res = await call();
    let size = 0;
    for await (const c of res.body as unknown as AsyncIterable<Uint8Array>) size += c.length;
    expect(size).toBe(total * chunk.length + 19 + 73);
    await outcomeOf(res);
    expect(await held()).toBe(0);
    expect((await budget.report()).totalUsd).toBe(0.002);
  }, 120_000);

  it('the caller aborting mid-body: the abort reason, the hold freed, the socket closed', async () => {
    const partSent = signal();
    const s = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":"x",', () => partSent.resolve());
    });
    const { call, held } = paid(s);
    const ac = new AbortController();
    const reason = new TimeoutError('caller gave up');
    const pending = call({ signal: ac.signal });
    await partSent.promise;
    ac.abort(reason);
    await expect(pending).rejects.toThrow();
    expect(await held()).toBe(0);
    await s.drained(); // the aborted call closed its socket
  });
});
