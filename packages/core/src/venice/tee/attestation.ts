import { randomBytes, createHash as sha, timingSafeEqual } from 'node:crypto';
import { readBounded } from '../../bounded-body.js';
import { AttestationError } from '../../errors.js';
import { type FetchLike, joinUrl, jsonOf, send } from '../../http.js';
import { viem } from '../../lazy.js';
import { publicKeyBytes } from './e2ee-crypto.js';
import { parseTdxQuote } from './tdx-quote.js';

/** What a client verified about a private model's TEE: the key it may encrypt to, bound to its fresh nonce. */
export interface Attestation {
  model: string;
  /** `tee_provider` as the server named it (data, e.g. `near-ai`), when it named one. */
  provider?: string;
  /** The attested secp256k1 public key (uncompressed hex, as the server sent it): E2EE encrypts to it. */
  signingKey: string;
  /** The key's Ethereum address, checksummed. */
  signingAddress: `0x${string}`;
  /** The fresh nonce (64 hex digits) this attestation answered. */
  nonce: string;
  /** When it was verified (ms since the epoch, from the caller's clock). */
  attestedAt: number;
}

export interface AttestRequest {
  /** The transport: the paid fetch, so the request carries the caller's sign-in or key. */
  fetch: FetchLike;
  /** The API base (`…/api/v1`). */
  baseURL: string;
  model: string;
  now?: () => number;
  signal?: AbortSignal;
  /** How long the answer may send nothing before it is cut (default 30 s). */
  idleTimeoutMs?: number;
}

/** An attestation is a few KiB (a TDX quote, an NVIDIA payload): more than this is not one. */
const MAX_ATTESTATION_BYTES = 4 * 1024 * 1024;

/**
 * `GET /tee/attestation?model=…&nonce=…` with 32 fresh random bytes (64 hex digits, as `venice-e2ee` sends), then
 * `verifyAttestation`. Any failure is an AttestationError; nothing is sent to the model before this resolves.
 */
export async function fetchAttestation(request: AttestRequest): Promise<Attestation> {
  const { model } = request;
  const nonce = randomBytes(32);
  const url = new URL(joinUrl(request.baseURL, 'tee/attestation'));
  url.searchParams.set('model', model);
  url.searchParams.set('nonce', nonce.toString('hex'));
  const response = await send(request.fetch, url.href, {
    method: 'GET',
    headers: { accept: 'application/json' },
    signal: request.signal,
  });
  const limits = { maxBytes: MAX_ATTESTATION_BYTES, idleMs: request.idleTimeoutMs ?? 30_000 };
  const bytes = await readBounded(response, limits, { what: `The attestation of ${model}`, details: { model } }).catch(
    (error: Error) => {
      throw new AttestationError('unavailable', `No attestation for ${model}: ${error.message}`, { model });
    },
  );
  const body = jsonOf(bytes);
  if (!response.ok || !body || typeof body !== 'object')
    throw new AttestationError('unavailable', `No attestation for ${model} (HTTP ${response.status})`, {
      model,
      status: response.status,
    });
  return { ...verifyAttestation(body, model, nonce), attestedAt: (request.now ?? Date.now)() };
}

/**
 * What a client can check of Venice's attestation without Intel's collateral (venice-wire §13.2), the same binding
 * the `venice-e2ee` client checks:
 * - REPORTDATA[0..20) is the address of `signing_key` (keccak-256 of the 64-byte key, last 20 bytes);
 * - REPORTDATA[32..64) is our nonce, raw or SHA-256 of it;
 * - the TD's DEBUG attribute is off; `signing_address` is that same address; `model` and any echoed `nonce` are ours;
 * - `verified: false` fails; `verified: true` alone proves nothing.
 */
export function verifyAttestation(body: unknown, model: string, nonce: Uint8Array): Omit<Attestation, 'attestedAt'> {
  const b = body as Record<string, unknown>;
  const fail = (reason: ConstructorParameters<typeof AttestationError>[0], why: string) =>
    new AttestationError(reason, `Attestation of ${model} refused: ${why}`, { model });
  if (b.verified === false) throw fail('server', 'the server reports it unverified');
  if (b.model !== model) throw fail('model', 'it names another model');
  const nonceHex = Buffer.from(nonce).toString('hex');
  if (b.nonce !== undefined && (typeof b.nonce !== 'string' || b.nonce.toLowerCase() !== nonceHex))
    throw fail('nonce', 'it echoes another nonce');
  const signingKey = b.signing_key ?? b.signing_public_key;
  const key = typeof signingKey === 'string' ? publicKeyBytes(signingKey) : undefined;
  if (!key) throw fail('malformed', 'signing_key is not an uncompressed secp256k1 public key');
  if (typeof b.intel_quote !== 'string') throw fail('malformed', 'it carries no intel_quote');
  const { keccak256, getAddress } = viem();
  const address = Buffer.from(keccak256(key.subarray(1)).slice(2), 'hex').subarray(12);
  const signingAddress = getAddress(`0x${address.toString('hex')}`);
  if (typeof b.signing_address !== 'string' || b.signing_address.toLowerCase() !== signingAddress.toLowerCase())
    throw fail('address', 'signing_address is not the address of signing_key');
  const quote = parseTdxQuote(b.intel_quote, model);
  if (quote.debug) throw fail('debug', 'the TD runs in debug mode');
  const data = quote.reportData;
  if (!timingSafeEqual(data.subarray(0, 20), address))
    throw fail('address', 'the signing key is not bound in the quote');
  const bound = data.subarray(32, 64);
  if (!timingSafeEqual(bound, nonce) && !timingSafeEqual(bound, sha('sha256').update(nonce).digest()))
    throw fail('nonce', 'our nonce is not bound in the quote');
  const provider = typeof b.tee_provider === 'string' && b.tee_provider.length <= 64 ? b.tee_provider : undefined;
  return { model, provider, signingKey, signingAddress, nonce: nonceHex } as Omit<Attestation, 'attestedAt'>;
}
