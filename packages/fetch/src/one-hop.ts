import { ConfigError } from '@venice-x402/core';
import type { NodeBody } from './wire-response.js';

export interface RequestOptions {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body?: Uint8Array | string | null;
  signal?: AbortSignal;
}

export interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: NodeBody;
}

/** What the paid fetch needs of undici's dispatcher (undici 5 to 8, Node 20 to 26, and the npm package). */
export interface Dispatcher {
  request(options: RequestOptions): Promise<Answer>;
  dispatch(options: object, handler: object): boolean;
}

/**
 * One request on the app's dispatcher that can never follow a redirect, whatever the app installed.
 *
 * `maxRedirections: 0`, as undici's own fetch sends, turns off undici's redirect following (an `Agent`'s
 * `maxRedirections`, `interceptors.redirect`), so the caller gets the 3xx. An interceptor that follows anyway
 * connects a second time through the same handler: that second request is aborted before a byte of it is
 * written, so a sign-in, key or payment never reaches the origin a server named.
 */
export function requestOneHop(dispatcher: Dispatcher, options: RequestOptions): Promise<Answer> {
  // undici's request() builds its handler and hands it to `this.dispatch` (all it uses of `this`): ours wraps the
  // handler first. A plain object, not Object.create(dispatcher): a dispatcher made a prototype slows undici down.
  const guarded = { dispatch: (opts: object, handler: object) => dispatcher.dispatch(opts, oneConnect(handler)) };
  return dispatcher.request.call(guarded, { ...options, maxRedirections: 0 } as RequestOptions);
}

/** A `fetch` transport that followed a redirect though asked not to: its answer is not the asked origin's. */
export const transportFollowedRedirect = () =>
  new ConfigError(
    'The `fetch` given to createX402Fetch followed a redirect though asked not to (`redirect: "manual"`); its ' +
      'answer came from elsewhere and is refused. Use a fetch that honours `redirect`',
    { option: 'fetch' },
  );

/** The handler as is, except that a second connect (undici 6 `onConnect`, 7+ `onRequestStart`) is aborted. */
function oneConnect(handler: object): object {
  let connects = 0;
  const refuse = () =>
    new ConfigError(
      "The app's HTTP dispatcher followed a redirect on its own; the paid fetch stopped the second request so no " +
        'credential left. Remove the redirect interceptor, or pass `fetch` to createX402Fetch',
      { option: 'dispatcher' },
    );
  const methods = new Map<PropertyKey, unknown>(); // bound once: undici reads `onData` for every chunk
  return new Proxy(handler, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      let method = methods.get(key);
      if (method) return method;
      if (key === 'onConnect')
        method = (abort: (reason: unknown) => void, context: unknown) =>
          ++connects > 1 ? abort(refuse()) : value.call(target, abort, context);
      else if (key === 'onRequestStart')
        method = (controller: { abort(reason: unknown): void }, context: unknown) =>
          ++connects > 1 ? controller.abort(refuse()) : value.call(target, controller, context);
      else method = value.bind(target);
      methods.set(key, method);
      return method;
    },
  });
}
