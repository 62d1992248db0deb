/** Venice routes that charge the wallet (docs/venice-protocol.md §10). Anything else is free or wallet-only. */
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

/**
 * Signed writes Venice documents as free: polling and clean-up of queued jobs (the queue call itself is paid).
 * Every other write under the base that is not listed as paid is budgeted at the default estimate.
 */
const FREE_WRITES = [/^\/(audio|video|audio\/voice-changer)\/(retrieve|complete)$/];

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
export const isFreeWrite = (route: string) => FREE_WRITES.some((re) => re.test(route));

/**
 * The route a server would most likely serve for a path: percent-decoded, `;params` dropped, repeated and
 * trailing slashes collapsed, lower case. Used to classify and budget only — the URL sent is never changed —
 * so `/Chat/Completions/`, `//chat/completions` or `/chat%2Fcompletions` cannot slip past the budget.
 */
export function normalizeRoute(path: string): string {
  let p = path;
  for (let i = 0; i < 3 && p.includes('%'); i++) {
    try {
      p = decodeURIComponent(p);
    } catch {
      break;
    }
  }
  p = p
    .replace(/;[^/]*/g, '')
    .replace(/\/{2,}/g, '/')
    .replace(/\/+$/, '')
    .toLowerCase();
  return p.startsWith('/') ? p || '/' : `/${p}`;
}

/** `https://api.venice.ai/api/v1/chat/completions?x` under base `…/api/v1` → `/chat/completions`; undefined when outside. */
export function routeUnder(base: URL, url: URL): string | undefined {
  if (url.origin !== base.origin) return undefined;
  const prefix = normalizeRoute(base.pathname).replace(/^\/$/, '');
  const path = normalizeRoute(url.pathname);
  if (path !== prefix && !path.startsWith(`${prefix}/`)) return undefined;
  return path.slice(prefix.length) || '/';
}
