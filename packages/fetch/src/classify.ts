import type { FetchContext } from './options.js';
import type { RequestParts } from './request.js';
import { parseRequestBody, type RequestBody } from './request-body.js';
import { isFreeWrite, isOpenRoute, isPaidRoute, normalizeRoute, routeUnder } from './routes.js';

/** What the paid fetch knows about a request before anything is sent. */
export interface Classified extends RequestBody {
  /** Normalised path relative to the base (or the whole path for a pay-per-call origin). */
  route: string;
  /** Budgeted: a hold is taken before it is sent. */
  paid: boolean;
  /** Credentials (sign-in, key) are attached. */
  signed: boolean;
}

/**
 * Decides whether a request is ours to sign, pay and budget. Undefined: not under the base URL nor a named
 * pay-per-call origin — it is sent as is, with nothing of ours attached.
 */
export function classify(ctx: FetchContext, parts: RequestParts): Classified | undefined {
  const route = ctx.base ? routeUnder(ctx.base, parts.url) : undefined;
  const payOrigin = ctx.payOrigins.has(parts.url.origin);
  if (route === undefined && !payOrigin) return undefined;
  const path = route ?? normalizeRoute(parts.url.pathname);
  const body = parseRequestBody(parts.body, parts.headers.get('content-type'));
  const write = parts.method !== 'GET' && parts.method !== 'HEAD';
  if (!ctx.venice || (route === undefined && payOrigin)) {
    // Pay-per-call: any request may be answered with a quote, so every one is budgeted.
    return { ...body, route: path, paid: true, signed: false };
  }
  const open = isOpenRoute(path);
  // Anything we sign under the base is budgeted: known paid routes, and any unknown write (default estimate).
  const paid = !open && (isPaidRoute(path) || (write && !isFreeWrite(path)));
  return { ...body, route: path, paid, signed: !open };
}
