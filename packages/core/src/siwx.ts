import { randomBytes } from 'node:crypto';
import { BASE_CHAIN_ID, DEFAULT_BASE_URL, HEADERS } from './constants.js';
import { ConfigError } from './errors.js';
import { viemSiwe } from './lazy.js';
import { canSignInHeaders, type Signer } from './signer.js';
import type { SignInRequest } from './signing-worker.js';
import { isSolanaSigner, type SolanaSigner } from './solana/signer.js';
import { signSolanaSignIn } from './solana/siwx.js';
import { x402Schemas } from './x402/schemas.js';

export interface SignInOptions {
  /**
   * EIP-4361 domain. Default: `VENICE_SIGN_IN_DOMAIN` when set, else the host of the API base URL (`api.venice.ai`).
   * Venice checks it against `api.venice.ai` whatever host it is reached through: set it when the base URL is a
   * proxy or the simulator.
   */
  domain?: string;
  /** EIP-4361 URI. Default: the origin of the API (Venice does not validate it). */
  uri?: string;
  statement?: string;
  /** Lifetime written as Expiration Time. Venice caps any header at 5 minutes of age. Default 300. */
  ttlSeconds?: number;
  /** `SIGN-IN-WITH-X` (canonical, default) or the legacy `X-Sign-In-With-X`. Venice accepts both. */
  headerName?: typeof HEADERS.signIn | typeof HEADERS.signInLegacy;
  /** How many headers to keep signed ahead of need. Default 4 for private keys, 0 for external signers. */
  presign?: number;
}

export interface SiwxChallengeInfo {
  domain: string;
  uri?: string;
  statement?: string;
}

/** Entries older than this are thrown away unused: far inside the server's 5-minute age cap, even with skew. */
const POOL_MAX_AGE_MS = 60_000;

export interface SignInFactory {
  readonly headerName: string;
  /** A fresh single-use header value. */
  signIn(resourceUrl?: string): Promise<string>;
  /** Honour a server challenge (`siwxChallenge.info` / `extensions["sign-in-with-x"].info`). */
  applyChallenge(info: SiwxChallengeInfo): void;
}

export function createSignInFactory(
  signer: Signer | SolanaSigner,
  baseURL: string = DEFAULT_BASE_URL,
  options: SignInOptions & { defaultPresign?: number } = {},
): SignInFactory {
  const ttlSeconds = options.ttlSeconds ?? 300;
  if (!Number.isFinite(ttlSeconds) || ttlSeconds < 10 || ttlSeconds > 600) {
    throw new ConfigError('signIn.ttlSeconds must be between 10 and 600');
  }
  const base = new URL(baseURL);
  const configuredDomain = options.domain ?? envSignInDomain();
  let domain = configuredDomain ?? base.host;
  let uri = options.uri ?? base.origin;
  let statement = options.statement ?? 'Sign in to Venice AI';
  const presign = Math.max(0, Math.min(16, options.presign ?? options.defaultPresign ?? 0));
  const pool: { value: string; at: number }[] = [];
  let refilling = false;
  // The parameters while they hold, as one object: a signing thread compares it by identity on every call.
  let wanted: SignInRequest | undefined;
  const signInRequest = () => (wanted ??= { chainId: BASE_CHAIN_ID, domain, uri, statement, ttlSeconds });

  /** `count` fresh headers: built whole in the signing thread when the signer has one, else here. */
  async function signMany(d: string, u: string, count: number): Promise<string[]> {
    if (canSignInHeaders(signer)) {
      try {
        return await signer.signInHeaders({ chainId: BASE_CHAIN_ID, domain: d, uri: u, statement, ttlSeconds }, count);
      } catch {
        // The thread is unavailable: sign here instead.
      }
    }
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(await sign(d, u));
    return out;
  }

  async function sign(d: string, u: string): Promise<string> {
    if (isSolanaSigner(signer)) return signSolanaSignIn(signer, { domain: d, uri: u, statement, ttlSeconds });
    const issuedAt = new Date();
    const message = viemSiwe().createSiweMessage({
      address: signer.address,
      chainId: BASE_CHAIN_ID,
      domain: d,
      uri: u,
      version: '1',
      nonce: randomBytes(8).toString('hex'),
      issuedAt,
      expirationTime: new Date(issuedAt.getTime() + ttlSeconds * 1000),
      statement,
    });
    const signature = await signer.signMessage({ message });
    const json = JSON.stringify({
      address: signer.address,
      message,
      signature,
      timestamp: issuedAt.getTime(),
      chainId: BASE_CHAIN_ID,
    });
    return Buffer.from(json, 'utf8').toString('base64');
  }

  function refill() {
    // Refill in batches once half the pool is used: one round trip to the signing thread per few calls.
    if (refilling || pool.length > presign / 2) return;
    refilling = true;
    const d = domain;
    const u = uri;
    // Sign a moment later rather than right away: by then the request that took a header is on the wire and
    // the signing CPU overlaps the wait for its answer instead of delaying its send.
    const timer = setTimeout(async () => {
      try {
        while (pool.length < presign && d === domain && u === uri) {
          const headers = await signMany(d, u, presign - pool.length);
          const at = Date.now();
          if (d === domain && u === uri) for (const value of headers) pool.push({ value, at });
        }
      } catch {
        // A failed pre-sign is not an error: the next request signs inline and reports any failure itself.
      } finally {
        refilling = false;
      }
    }, 1);
    timer.unref?.();
  }

  return {
    headerName: options.headerName ?? HEADERS.signIn,
    async signIn(resourceUrl) {
      let d = domain;
      let u = uri;
      if (resourceUrl) {
        const target = new URL(resourceUrl);
        if (target.host !== base.host && configuredDomain === undefined) {
          d = target.host;
          u = target.origin;
        }
      }
      if (presign > 0 && d === domain && u === uri && canSignInHeaders(signer) && signer.takeSignInHeader) {
        // Signed ahead by the signing thread, handed over through shared memory.
        let ready: string | undefined;
        try {
          ready = signer.takeSignInHeader(signInRequest(), { target: presign, maxAgeMs: POOL_MAX_AGE_MS });
        } catch {
          // No signing thread here (it could not start): signMany below signs some other way.
        }
        if (ready) return ready;
      } else if (presign > 0 && d === domain && u === uri) {
        const now = Date.now();
        while (pool.length > 0) {
          const entry = pool.shift()!;
          if (now - entry.at < POOL_MAX_AGE_MS) {
            refill();
            return entry.value;
          }
        }
        refill();
      }
      return (await signMany(d, u, 1))[0]!;
    },
    applyChallenge(info) {
      const parsed = x402Schemas().siwxInfoSchema.safeParse(info);
      if (!parsed.success) return;
      const next = parsed.data;
      // Only follow a challenge for the host we talk to: a hostile server must not obtain a header
      // signed for another service's domain (it could replay it there once).
      if (!sameSite(next.domain, base.hostname)) return;
      if (next.domain === domain && (next.uri ?? uri) === uri) return;
      domain = next.domain;
      if (next.uri) uri = next.uri;
      if (next.statement) statement = next.statement;
      pool.length = 0;
      wanted = undefined;
    },
  };
}

/** Finds a Sign-In-With-X challenge in a 401/402 body or a decoded PAYMENT-REQUIRED object. */
export function findSiwxChallenge(body: unknown): SiwxChallengeInfo | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Record<string, any>;
  const info = b.siwxChallenge?.info ?? b.extensions?.['sign-in-with-x']?.info;
  const parsed = x402Schemas().siwxInfoSchema.safeParse(info);
  return parsed.success ? parsed.data : undefined;
}

function envSignInDomain(): string | undefined {
  const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env
    ?.VENICE_SIGN_IN_DOMAIN;
  return value?.trim() || undefined;
}

function sameSite(challengeDomain: string, hostname: string): boolean {
  const a = challengeDomain.replace(/:\d+$/, '').toLowerCase();
  const b = hostname.toLowerCase();
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}
