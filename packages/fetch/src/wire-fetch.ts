import { ProtocolError, X402Error } from '@venice-x402/core';
import type { FetchLike } from '@venice-x402/core/internal';
import { isNodeFetch } from './node-fetch.js';
import { type Dispatcher, requestOneHop } from './one-hop.js';
import { type NodeBody, WireResponse } from './wire-response.js';

// Node's fetch and the undici package share this slot: `setGlobalDispatcher` (proxies, MockAgent) sets it.
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
// Headers undici sets itself from the body and the URL.
const DROPPED = new Set(['content-length', 'host']);
const ignore = () => {};
let statusTexts: Record<number, string | undefined> | undefined;
const NON_ASCII = /[\u0080-\uffff]/;
// Node's own undici; a global dispatcher from another undici version is assumed to read headers alike.
const UNDICI_READS_UTF8 = Number(globalThis.process?.versions?.undici?.split('.')[0] ?? 7) < 7;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// As fetch: more codings than that is a server trying to exhaust the client.
const MAX_CODINGS = 5;

/**
 * The paid fetch's transport when the caller passes no `fetch`: requests go straight to Node's HTTP client —
 * undici's global dispatcher, the one Node's own `fetch` sends through, so `setGlobalDispatcher` (proxy agents,
 * MockAgent) applies alike — without fetch's WHATWG Request, stream and body machinery (≈ 60 % of a
 * loopback call's client CPU). The answer is a `Response` whose body is read straight from the socket's
 * stream; `.body` makes a web stream on first use.
 *
 * It takes what the paid fetch sends (string URL, `redirect: 'manual'`, bytes or string body, no
 * `accept-encoding`). Anything else — another runtime, a replaced `globalThis.fetch`, a redirect to follow,
 * a compressed answer asked for — goes to `globalThis.fetch` (looked up at each call) unchanged. It never follows
 * a redirect, whatever dispatcher or interceptor the app installed (`one-hop.ts`).
 */
export const wireFetch: FetchLike = (input, init) => {
  const dispatcher = (globalThis as any)[GLOBAL_DISPATCHER] as Dispatcher | undefined;
  const body = init?.body;
  const method = (init?.method ?? 'GET').toUpperCase();
  if (
    typeof dispatcher?.request !== 'function' ||
    typeof dispatcher.dispatch !== 'function' ||
    // Node 20 before 20.16 has no getBuiltinModule: without zlib an answer compressed unasked could not be decoded.
    typeof globalThis.process?.getBuiltinModule !== 'function' ||
    // A replaced fetch (msw, nock, a test's stub), whenever it was installed: the app wants every request there.
    !isNodeFetch(globalThis.fetch) ||
    typeof input !== 'string' ||
    init?.redirect !== 'manual' ||
    !METHODS.has(method) ||
    !(body == null || typeof body === 'string' || body instanceof Uint8Array)
  )
    return globalThis.fetch(input, init);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return globalThis.fetch(input, init);
  }
  const headers = plainHeaders(init.headers);
  if (!headers || 'accept-encoding' in headers || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    return globalThis.fetch(input, init);
  if (url.username || url.password) return globalThis.fetch(input, init);
  headers.accept ??= '*/*';
  headers['user-agent'] ??= 'node';
  return send(dispatcher, url, method, headers, body, init.signal ?? undefined);
};

async function send(
  dispatcher: Dispatcher,
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Uint8Array | string | null | undefined,
  signal: AbortSignal | undefined,
): Promise<Response> {
  if (signal?.aborted) throw signal.reason;
  let answer: Awaited<ReturnType<Dispatcher['request']>>;
  try {
    answer = await requestOneHop(dispatcher, {
      origin: url.origin,
      path: url.pathname + url.search,
      method,
      headers,
      body: body ?? null,
      signal,
    });
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof X402Error) throw error; // the app's dispatcher tried to follow a redirect
    // undici's and the system's errors are Errors with a code or a class of their own; a bare TypeError is undici's
    // own parsing tripping over an answer the server did send (a header named `constructor`, undici 6). Not
    // retried: the server may have billed what it answered.
    if (error instanceof TypeError && !(error as { code?: unknown }).code) throw unreadable(error);
    throw new TypeError('fetch failed', { cause: error });
  }
  const init: ResponseInit & { headers: [string, string][] } = {
    status: answer.statusCode,
    statusText: (statusTexts ??= process.getBuiltinModule('node:http').STATUS_CODES)[answer.statusCode] ?? '',
    headers: [],
  };
  // undici 6 (Node 20, 22) decodes header values as UTF-8; fetch reads them as latin1 (bytes as they came): back to
  // those bytes. Except a content-disposition next to a content-length, which undici 6 already turned back
  // (nodejs/node#46528). undici 7 and later (Node 24, 26) read latin1 themselves.
  const latin1 = (name: string, value: string) =>
    UNDICI_READS_UTF8 &&
    NON_ASCII.test(value) &&
    !(name === 'content-disposition' && 'content-length' in answer.headers)
      ? Buffer.from(value, 'utf8').toString('latin1')
      : value;
  let encoding: string | undefined;
  for (const [name, value] of Object.entries(answer.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) init.headers.push([name, latin1(name, v)]);
    else init.headers.push([name, latin1(name, value)]);
    if (name === 'content-encoding') encoding = encoding ? `${encoding}, ${value}` : String(value);
  }
  let source: NodeBody | null = answer.body;
  try {
    if (NULL_BODY_STATUS.has(answer.statusCode) || method === 'HEAD') {
      answer.body.on('error', ignore).resume(); // nothing to read: frees the connection
      source = null;
    } else if (encoding) {
      source = decompress(answer.body, encoding, init);
    }
    try {
      return new WireResponse(source, init, url.href, signal);
    } catch {
      // A header fetch keeps but a Response cannot take (a name with a space, a NUL): dropped, not the answer.
      init.headers = init.headers.filter(([name, value]) => TOKEN.test(name) && !value.includes('\0'));
      return new WireResponse(source, init, url.href, signal);
    }
  } catch (error) {
    answer.body.on('error', ignore).destroy();
    (source as NodeBody | null)?.on('error', ignore).destroy();
    throw unreadable(error, answer.statusCode); // a status a Response cannot carry, too many codings
  }
}

/** The server answered, but with something no Response can carry (fetch would hand some of it back). */
const unreadable = (cause: unknown, status?: number) =>
  new ProtocolError('The server answered with a response that cannot be read', {
    status,
    reason: String((cause as Error)?.message ?? cause).slice(0, 200),
  });

/** The request's headers as a lowercase record; undefined when they are not ones this transport takes. */
function plainHeaders(init: HeadersInit | undefined): Record<string, string> | undefined {
  const out: Record<string, string> = Object.create(null);
  if (init == null) return out;
  let entries: Iterable<[string, string]>;
  if (init instanceof Headers) entries = init;
  else if (Array.isArray(init)) entries = init as [string, string][];
  else if (typeof init === 'object') entries = Object.entries(init as Record<string, string>);
  else return undefined;
  for (const [name, value] of entries) {
    const key = String(name).toLowerCase();
    if (DROPPED.has(key)) continue;
    out[key] = key in out ? `${out[key]}, ${value}` : String(value);
  }
  return out;
}

/**
 * A server that compresses though nothing asked it to: decoded like fetch would (gzip, deflate, br, stacked in
 * the order listed, leniently if cut short; zstd where zlib has it), its encoding and length headers dropped. An unknown encoding is
 * passed on as it came, as fetch does.
 */
function decompress(body: NodeBody, encoding: string, init: { headers: [string, string][] }): NodeBody {
  const zlib = process.getBuiltinModule('node:zlib');
  const { pipeline } = process.getBuiltinModule('node:stream');
  const codings = encoding.toLowerCase().split(',');
  if (codings.length > MAX_CODINGS) throw new Error(`too many content-encodings: ${codings.length}`);
  const sync = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  const brSync = { flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH };
  const decoders: NodeJS.ReadWriteStream[] = [];
  for (const coding of codings.reverse().map((c) => c.trim())) {
    if (coding === 'gzip' || coding === 'x-gzip') decoders.push(zlib.createGunzip(sync));
    else if (coding === 'deflate') decoders.push(zlib.createInflate(sync));
    else if (coding === 'br') decoders.push(zlib.createBrotliDecompress(brSync));
    else if (coding === 'zstd' && typeof (zlib as any).createZstdDecompress === 'function')
      decoders.push((zlib as any).createZstdDecompress()); // Node ≥ 22.15
    else return body;
  }
  if (!decoders.length) return body;
  init.headers = init.headers.filter(([name]) => name !== 'content-encoding' && name !== 'content-length');
  // pipeline, not pipe: an error in the data or a consumer that stops (destroys the last stream) destroys the
  // answer's stream too, which closes its connection instead of leaving it half read.
  return pipeline([body as unknown as NodeJS.ReadableStream, ...decoders], ignore) as unknown as NodeBody;
}
