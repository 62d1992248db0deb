import type { PaidCall } from './paid-call.js';
import { routeUnder } from './routes.js';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export type RedirectDecision =
  /** Not a redirect. */
  | { kind: 'none' }
  /** Same origin, still under the base, nothing paid yet: follow it with fresh credentials. */
  | { kind: 'follow'; url: URL; method: string; dropBody: boolean }
  /** Elsewhere (another origin, outside the base), after a payment, or too many: hand the 3xx to the caller. */
  | { kind: 'return' };

/**
 * A signed or paid request never follows a redirect by itself: a credential (sign-in, key, payment)
 * would go to whatever origin the server names. Same-site redirects are followed by the paid fetch
 * itself, re-signed; everything else is returned to the caller as the 3xx it is.
 */
export function judgeRedirect(call: PaidCall, url: URL, response: Response): RedirectDecision {
  if (!REDIRECTS.has(response.status)) return { kind: 'none' };
  const location = response.headers.get('location');
  if (!location || call.request.redirect === 'manual' || call.redirects >= MAX_REDIRECTS || call.paymentSent)
    return { kind: 'return' };
  let next: URL;
  try {
    next = new URL(location, url);
  } catch {
    return { kind: 'return' };
  }
  const { base, payOrigins } = call.ctx;
  const sameSite =
    next.origin === url.origin && (base ? routeUnder(base, next) !== undefined : payOrigins.has(next.origin));
  if (!sameSite) return { kind: 'return' };
  // As fetch does: 303, and 301/302 after a POST, become a GET without a body.
  const toGet =
    response.status === 303 || ((response.status === 301 || response.status === 302) && call.request.method === 'POST');
  return { kind: 'follow', url: next, method: toGet ? 'GET' : call.request.method, dropBody: toGet };
}
