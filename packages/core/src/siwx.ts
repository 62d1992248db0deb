import { BASE_CHAIN_ID, DEFAULT_BASE_URL, HEADERS } from './constants.js';
import { ConfigError } from './errors.js';
import { createPresignPool } from './presign-pool.js';
import {
  buildSignInHeader,
  isPlainStatement,
  nonceSource,
  type SignInRequest,
  signInMessage,
  VENICE_STATEMENTS,
} from './sign-in-message.js';
import { canSignInHeaders, type Signer } from './signer.js';
import { isSolanaSigner, type SolanaSigner } from './solana/signer.js';
import { signSolanaSignIn } from './solana/siwx.js';
import { x402Schemas } from './x402/schemas.js';

export interface SignInOptions {
  /**
   * EIP-4361 domain for the Venice API (the wallet's base URL, and the base of a paid fetch in `venice` mode).
   * Default: `VENICE_SIGN_IN_DOMAIN` when set, else the API host. Venice checks it against `api.venice.ai`
   * whatever host it is reached through: set it when the base URL is a proxy or the simulator. Any other origin
   * always gets a sign-in for its own host.
   */
  domain?: string;
  /** EIP-4361 URI for the Venice API. Default: its origin (Venice does not validate it). */
  uri?: string;
  /** One line of plain text (EIP-4361 grammar, ≤ 256 characters). Default `Sign in to Venice AI`. */
  statement?: string;
  /** Lifetime written as Expiration Time. Venice caps any header at 5 minutes of age. Default 300. */
  ttlSeconds?: number;
  /** `SIGN-IN-WITH-X` (canonical, default) or the legacy `X-Sign-In-With-X`. Venice accepts both. */
  headerName?: typeof HEADERS.signIn | typeof HEADERS.signInLegacy;
  /**
   * At most how many headers to keep signed ahead of need (as many as the pace of calls uses before they age).
   * Default for private keys 16 with a signing thread (the most it shares), 4 when signing on the event loop
   * (`signOffThread: false`); 0 for external signers.
   */
  presign?: number;
}

export interface SiwxChallengeInfo {
  domain: string;
  uri?: string;
  statement?: string;
}

/** How one sign-in is asked for. */
export interface SignInTarget {
  /**
   * The request is for a Venice API the caller configured (a paid fetch in `venice` mode): the configured domain
   * applies even off the wallet's base URL. Default: only under the wallet's base URL.
   */
  venice?: boolean;
  /** Sign now, never hand out a header signed ahead (the server just refused one as expired). */
  fresh?: boolean;
}

/** A header signed ahead is handed out in the first half of its life and never after a minute. */
const MAX_AHEAD_AGE_MS = 60_000;
/** Origins whose challenges are remembered; the oldest is forgotten first. */
const MAX_TUNED_ORIGINS = 64;

export interface SignInFactory {
  readonly headerName: string;
  /** A fresh single-use header value for `resourceUrl` (default: the base URL). */
  signIn(resourceUrl?: string | URL, target?: SignInTarget): Promise<string>;
  /**
   * Honour a server challenge (`siwxChallenge.info` / `extensions["sign-in-with-x"].info`) sent by `from`: it tunes
   * sign-ins for that origin only (see `challengeTuning`).
   */
  applyChallenge(info: SiwxChallengeInfo, from: string | URL): void;
  /** Drops headers signed ahead and stops the signer's thread (both start again on use). */
  close(): Promise<void>;
}

export function createSignInFactory(
  signer: Signer | SolanaSigner,
  baseURL: string = DEFAULT_BASE_URL,
  options: SignInOptions & { defaultPresign?: number } = {},
): SignInFactory {
  const { ttlSeconds, statement, configuredDomain } = settings(options);
  const evm = !isSolanaSigner(signer);
  if (evm && (configuredDomain !== undefined || options.uri !== undefined)) {
    const probe = { domain: configuredDomain ?? 'localhost', uri: options.uri ?? 'https://localhost', statement };
    if (!carried(probe)) {
      throw new ConfigError('signIn.domain and signIn.uri must fit an EIP-4361 message (a host; an absolute URI)', {
        option: options.uri !== undefined ? 'signIn.uri' : 'signIn.domain',
      });
    }
  }
  const base = new URL(baseURL);
  const baseOrigin = base.origin;
  const maxAgeMs = Math.min(MAX_AHEAD_AGE_MS, (ttlSeconds * 1000) / 2);
  const presign = Math.max(0, Math.min(16, options.presign ?? options.defaultPresign ?? 0));
  const nonce = nonceSource();
  const tuned = new Map<string, Partial<SiwxChallengeInfo>>();
  const carriable = new WeakSet<SignInRequest>(); // requests whose fields a message can carry (checked once each)
  // The base's parameters while they hold, as one object: what is signed ahead is signed for it (by identity).
  let baseRequest: SignInRequest | undefined;

  function requestFor(target: URL, venice: boolean): SignInRequest {
    // Protocol and host rather than `origin`, which Node 20 computes anew on every read (this is the hot path).
    const own = target === base || (target.host === base.host && target.protocol === base.protocol);
    if (own && baseRequest) return baseRequest;
    const tuning = tuned.get(target.origin);
    const request: SignInRequest = {
      chainId: BASE_CHAIN_ID,
      // The configured domain is Venice's: any other origin gets its own host, which Venice refuses.
      domain: (own || venice) && configuredDomain ? configuredDomain : (tuning?.domain ?? target.host),
      uri: tuning?.uri ?? (own ? (options.uri ?? baseOrigin) : target.origin),
      statement: tuning?.statement ?? statement,
      ttlSeconds,
    };
    if (own) baseRequest = request;
    return request;
  }

  /** `count` fresh headers issued at `at`: built whole in the signing thread when the signer has one, else here. */
  async function signMany(request: SignInRequest, count: number, at: number): Promise<string[]> {
    if (canSignInHeaders(signer)) {
      try {
        return await signer.signInHeaders(request, count, at);
      } catch {
        // The thread is unavailable or still starting: sign here instead.
      }
    }
    const out: string[] = [];
    for (let i = 0; i < count; i++) {
      out.push(
        isSolanaSigner(signer)
          ? await signSolanaSignIn(signer, request, at)
          : await buildSignInHeader(signer.address, (message) => signer.signMessage({ message }), request, nonce(), at),
      );
    }
    return out;
  }

  const pool = createPresignPool(presign, maxAgeMs, signMany);

  /** A header signed ahead for the base's parameters, or undefined. */
  function takeAhead(request: SignInRequest): string | undefined {
    if (!canSignInHeaders(signer) || !signer.takeSignInHeader) return pool.take(request);
    // Signed ahead by the signing thread, handed over through shared memory.
    try {
      return signer.takeSignInHeader(request, { target: presign, maxAgeMs });
    } catch {
      return undefined; // no signing thread here: signMany signs some other way
    }
  }

  return {
    headerName: options.headerName ?? HEADERS.signIn,
    async signIn(resourceUrl, target) {
      const url =
        resourceUrl === undefined ? base : typeof resourceUrl === 'string' ? parseUrl(resourceUrl) : resourceUrl;
      if (!url) throw new ConfigError('signIn(resourceUrl): not an absolute URL', { option: 'resourceUrl' });
      const request = requestFor(url, target?.venice === true);
      if (evm && !carriable.has(request)) {
        // A host no EIP-4361 message can name (`http://venice-sim:8080` has no dot): say what to set, once per request.
        if (!carried(request)) {
          throw new ConfigError('No EIP-4361 sign-in can name this host: set signIn.domain (and signIn.uri)', {
            option: 'signIn.domain',
            domain: request.domain,
            uri: request.uri,
          });
        }
        carriable.add(request);
      }
      if (presign > 0 && target?.fresh !== true && request === baseRequest) {
        const ready = takeAhead(request);
        if (ready) return ready;
      }
      return (await signMany(request, 1, Date.now()))[0]!;
    },
    applyChallenge(info, from) {
      let origin: URL;
      try {
        origin = new URL(from);
      } catch {
        return;
      }
      const tuning = challengeTuning(info, origin);
      if (!tuning) return;
      // A challenge whose fields no EIP-4361 message can carry (a URI viem refuses) changes nothing: followed, it
      // would make every later sign-in for this origin fail.
      const probe = {
        domain: tuning.domain ?? origin.host,
        uri: tuning.uri ?? origin.origin,
        statement: tuning.statement ?? statement,
      };
      if (evm && !carried(probe)) return;
      if (!tuned.has(origin.origin) && tuned.size >= MAX_TUNED_ORIGINS) tuned.delete(tuned.keys().next().value!);
      tuned.set(origin.origin, tuning);
      if (origin.origin !== baseOrigin || !baseRequest) return;
      const before = baseRequest;
      baseRequest = undefined;
      const after = requestFor(origin, false);
      if (after.domain === before.domain && after.uri === before.uri && after.statement === before.statement) {
        baseRequest = before; // nothing changed: keep what is signed ahead
      }
    },
    async close() {
      pool.clear();
      if (canSignInHeaders(signer)) await signer.close();
    },
  };
}

/** Whether an EVM sign-in message can be built with these fields (the template's checks, else viem's). */
function carried(fields: { domain: string; uri: string; statement: string }): boolean {
  try {
    const request = { chainId: BASE_CHAIN_ID, ttlSeconds: 300, ...fields };
    signInMessage('0x0000000000000000000000000000000000000000', request, 'abcdefgh12345678', 0);
    return true;
  } catch {
    return false;
  }
}

/** The options that shape every message, validated: a bad one is a `ConfigError` when the wallet is made. */
function settings(options: SignInOptions) {
  const ttlSeconds = options.ttlSeconds ?? 300;
  if (!Number.isFinite(ttlSeconds) || ttlSeconds < 10 || ttlSeconds > 600) {
    throw new ConfigError('signIn.ttlSeconds must be between 10 and 600', { option: 'signIn.ttlSeconds' });
  }
  const statement = options.statement ?? VENICE_STATEMENTS[0]!;
  if (!isPlainStatement(statement)) {
    throw new ConfigError('signIn.statement must be one line of plain text (EIP-4361), at most 256 characters', {
      option: 'signIn.statement',
    });
  }
  const configuredDomain = options.domain ?? envSignInDomain();
  if (configuredDomain !== undefined && !/^[^\s/?#@]+$/.test(configuredDomain)) {
    throw new ConfigError('signIn.domain must be a host (VENICE_SIGN_IN_DOMAIN likewise)', { option: 'signIn.domain' });
  }
  return { ttlSeconds, statement, configuredDomain };
}

/**
 * What a challenge from `origin` may change in that origin's sign-ins. The domain: only that origin's own site
 * (the same host or a parent / child of it, on the same port), so no header is ever signed for another service,
 * where it could be replayed. The URI: only on that origin. The statement: only one of Venice's own — wording a
 * server chose is never signed. Anything else in the challenge is ignored.
 */
function challengeTuning(info: unknown, origin: URL): Partial<SiwxChallengeInfo> | undefined {
  const parsed = x402Schemas().siwxInfoSchema.safeParse(info);
  if (!parsed.success) return undefined;
  const { domain, uri, statement } = parsed.data;
  const tuning: Partial<SiwxChallengeInfo> = {};
  if (sameSite(domain, origin)) tuning.domain = domain.toLowerCase();
  const sameOriginUri = uri === undefined ? undefined : parseUrl(uri);
  if (sameOriginUri?.origin === origin.origin) tuning.uri = sameOriginUri.href;
  if (statement !== undefined && VENICE_STATEMENTS.includes(statement)) tuning.statement = statement;
  return Object.keys(tuning).length > 0 ? tuning : undefined;
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

const parseUrl = (value: string): URL | undefined => {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
};

/** `domain` is exactly a host[:port] of `origin`'s site: the same port, and the same host or a parent / child. */
function sameSite(domain: string, origin: URL): boolean {
  const named = parseUrl(`${origin.protocol}//${domain}`);
  if (!named || named.host !== domain.toLowerCase() || named.port !== origin.port) return false;
  const a = named.hostname;
  const b = origin.hostname;
  if (a === b) return true;
  // Addresses have no parent or child: 0.0.1 is not a parent of 127.0.0.1.
  if (/^[\d.]+$|^\[/.test(a) || /^[\d.]+$|^\[/.test(b)) return false;
  return a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}
