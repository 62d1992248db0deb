/** Venice routes that charge the wallet (venice-wire §10). Anything else is free or wallet-only. */
const PAID = [
  /^\/chat\/completions$/,
  /^\/responses$/,
  /^\/embeddings$/,
  /^\/images?\/(generate|generations|upscale|edit|multi-edit|background-remove)$/,
  /^\/audio\/(speech|transcriptions|voices|queue)$/,
  /^\/video\/queue$/,
  /^\/augment\//,
  /^\/crypto\/rpc\//,
];

/** Routes that need no credentials at all: nothing is signed for them. */
const OPEN = [
  /^\/models(\/|$)/,
  /^\/image\/styles$/,
  /^\/video\/quote$/,
  /^\/audio\/quote$/,
  /^\/x402\/top-up$/,
  /^\/crypto\/rpc\/networks$/,
];

export const isPaidRoute = (route: string) => PAID.some((re) => re.test(route));
export const isOpenRoute = (route: string) => OPEN.some((re) => re.test(route));

/** `https://api.venice.ai/api/v1/chat/completions?x` under base `…/api/v1` → `/chat/completions`; undefined when outside. */
export function routeUnder(base: URL | undefined, url: URL): string | undefined {
  if (!base) return url.pathname;
  if (url.origin !== base.origin) return undefined;
  const prefix = base.pathname.replace(/\/+$/, '');
  if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return undefined;
  return url.pathname.slice(prefix.length) || '/';
}
