import type { IncomingMessage } from 'node:http';
import { E2EE_HEADERS, type KeyPair, newKeyPair, publicKeyBytes, sealFresh, unseal } from '@venice-x402/core';
import { getAddress, keccak256 } from 'viem';
import type { FaultRule } from '../faults.js';
import type { SimModel } from '../models.js';
import { HttpFailure, lookupModel } from './inference.js';

/**
 * Private models (venice-wire §13.2): `tee-*` and `e2ee-*` serve `/tee/attestation` with a TEST signing key per
 * model and a SYNTHETIC TDX quote (unsigned, marked `synthetic: true`): a v4 quote whose REPORTDATA binds the key's
 * address at bytes 0–19 and the caller's nonce at bytes 32–63, as the client checks. `e2ee-*` accept only content
 * sealed to that key and answer sealed to the client's key.
 */
export class TeeKeys {
  readonly #keys = new Map<string, KeyPair>();

  key(model: string): KeyPair {
    let key = this.#keys.get(model);
    if (!key) this.#keys.set(model, (key = newKeyPair()));
    return key;
  }

  /** A new key for `model`: requests sealed to the old one are answered `e2ee_attestation_stale`. */
  rotate(model: string) {
    this.#keys.set(model, newKeyPair());
  }
}

export type BadAttestation = 'nonce' | 'debug' | 'address' | 'unbound_key';

const isPrivate = (model: SimModel) => model.id.startsWith('tee-') || model.id.startsWith('e2ee-');

/** `GET /tee/attestation?model=…&nonce=<64 hex>`; a `bad_attestation` fault serves what a client must refuse. */
export function attestation(models: Map<string, SimModel>, keys: TeeKeys, query: URLSearchParams, fault?: FaultRule) {
  const model = lookupModel(models, query.get('model') ?? undefined, 'text');
  if (!isPrivate(model)) throw new HttpFailure(400, { error: `Model ${model.id} does not support TEE attestation` });
  const nonce = query.get('nonce') ?? '';
  if (!/^[0-9a-f]{64}$/i.test(nonce)) throw new HttpFailure(400, { error: 'nonce must be 32 bytes as 64 hex digits' });
  const bad = fault?.kind === 'bad_attestation' ? (fault.attestation ?? 'nonce') : undefined;
  const key = keys.key(model.id);
  const signingKey = key.publicKey.toString('hex');
  const address = addressOf(key.publicKey);
  const other = addressOf(newKeyPair().publicKey);
  const reportData = Buffer.alloc(64);
  Buffer.from(bad === 'unbound_key' ? other : address, 'hex').copy(reportData, 0);
  Buffer.from(bad === 'nonce' ? 'ab'.repeat(32) : nonce, 'hex').copy(reportData, 32);
  return {
    verified: true, // the server's own word: a client must not rely on it
    synthetic: true,
    note: 'SYNTHETIC TDX quote and TEST key from the venice-x402 simulator: unsigned, not evidence of any TEE',
    nonce: nonce.toLowerCase(),
    model: model.id,
    tee_provider: 'venice-x402-simulator',
    intel_quote: syntheticQuote(reportData, bad === 'debug').toString('base64'),
    nvidia_payload: null,
    signing_key: signingKey,
    signing_address: getAddress(`0x${bad === 'address' ? other : address}`),
  };
}

const addressOf = (publicKey: Buffer) => keccak256(publicKey.subarray(1)).slice(-40);

/** A TDX quote v4 (header 48 bytes, TD report body 584, an empty signature): what `parseTdxQuote` reads. */
function syntheticQuote(reportData: Buffer, debug: boolean): Buffer {
  const quote = Buffer.alloc(48 + 584 + 4);
  quote.writeUInt16LE(4, 0); // version
  quote.writeUInt16LE(2, 2); // attestation key type: ECDSA-256
  quote.writeUInt32LE(0x81, 4); // TEE type: TDX
  quote[48 + 120] = debug ? 0x01 : 0x00; // TDATTRIBUTES, bit 0 = DEBUG
  reportData.copy(quote, 48 + 520); // REPORTDATA
  return quote;
}

/** An `e2ee-*` chat request opened: its plaintext body, and how to seal each piece of the answer. */
export interface OpenedE2ee {
  body: Record<string, unknown>;
  seal: (text: string) => string;
}

/**
 * Opens an `e2ee-*` chat request: `enable_e2ee`, both key headers, and every message content sealed by the client
 * key to the current model key — anything else is a 400 (a request sealed to a rotated key:
 * `e2ee_attestation_stale`). A `stale_attestation` fault rotates the key first.
 */
export function openE2ee(
  keys: TeeKeys,
  model: string,
  req: IncomingMessage,
  body: any,
  fault: FaultRule | undefined,
): OpenedE2ee {
  const refuse = (error: string, code = 'E2EE_DECRYPTION_FAILED') => new HttpFailure(400, { error, code });
  if (body?.venice_parameters?.enable_e2ee !== true)
    throw refuse('E2EE models accept only encrypted content: set venice_parameters.enable_e2ee', 'E2EE_REQUIRED');
  if (body.tools !== undefined) throw refuse('Tools are not supported with E2EE', 'E2EE_REQUIRED');
  if (fault?.kind === 'stale_attestation') keys.rotate(model);
  const header = (name: string) => {
    const v = req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  };
  const client = publicKeyBytes(header(E2EE_HEADERS.clientPublicKey) ?? '');
  const modelKey = keys.key(model);
  if (!client || header(E2EE_HEADERS.signingAlgo) !== 'ecdsa')
    throw refuse('E2EE requires X-Venice-TEE-Client-Pub-Key and X-Venice-TEE-Signing-Algo: ecdsa', 'E2EE_REQUIRED');
  if ((header(E2EE_HEADERS.modelPublicKey) ?? '').toLowerCase() !== modelKey.publicKey.toString('hex'))
    throw refuse('The model key was rotated: attest again', 'e2ee_attestation_stale');
  const messages = (Array.isArray(body.messages) ? body.messages : []).map((message: any) => {
    const opened = typeof message?.content === 'string' ? unseal(modelKey, message.content) : undefined;
    if (!opened?.ok || !opened.sender.equals(client)) throw refuse('E2EE decryption failed');
    return { ...message, content: opened.text };
  });
  return { body: { ...body, messages }, seal: (text) => sealFresh(client, text) };
}
