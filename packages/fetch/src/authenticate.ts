import type { PaidCall } from './paid-call.js';

/**
 * Puts this attempt's credentials on the request: a fresh single-use Sign-In-With-X (wallet), the API key
 * (Bearer), and the payment when there is one. An SDK's placeholder key never leaves the process.
 * The sign-in names the configured Venice domain only where `venice` mode says the base is Venice (in `auto`
 * mode only under the wallet's own base URL); after a 401 it is signed fresh, never taken from those signed ahead.
 */
export async function authenticate(call: PaidCall, url: URL, headers: Headers) {
  const { wallet, apiKey, venice, mode } = call.ctx;
  if (venice && wallet && call.info.signed) {
    headers.delete('authorization');
    const target = { venice: mode === 'venice', fresh: call.resignedForAuth };
    headers.set(wallet.signInHeaderName, await wallet.signIn(url, target));
  } else if (apiKey) {
    headers.set('authorization', `Bearer ${apiKey}`);
  } else if (wallet) {
    headers.delete('authorization');
  }
  if (call.payment) headers.set(call.payment.name, call.payment.value);
}

/** Every header that carries a credential of ours: none of them may follow a redirect to another origin. */
export function stripCredentials(call: PaidCall, headers: Headers) {
  const { wallet } = call.ctx;
  if (wallet) headers.delete(wallet.signInHeaderName);
  if (call.ctx.apiKey || wallet) headers.delete('authorization');
  if (call.payment) headers.delete(call.payment.name);
}
