import { createCipheriv, createDecipheriv, createECDH, ECDH, hkdfSync, randomBytes } from 'node:crypto';
import { tinySecp256k1 } from '../../secp256k1.js';

/**
 * Venice's E2EE content encoding (venice-wire §13.2): ECDH on secp256k1 → HKDF-SHA256 (empty salt, info
 * `ecdsa_encryption`) → AES-256-GCM. One sealed content is the lowercase hex of
 * `sender public key (65, uncompressed) ‖ IV (12) ‖ ciphertext ‖ tag (16)`; the receiver derives the same key from
 * its own private key and the sender key in the prefix. Both directions use it: the client seals prompts to the
 * attested model key, the model seals each answer chunk to the client key with a fresh key of its own.
 *
 * The curve arithmetic is libsecp256k1's (`tiny-secp256k1`, the optional dependency signing uses) where it is
 * installed, else Node's `createECDH('secp256k1')`: OpenSSL's generic curve code costs ≈ 5× more per ECDH, and an
 * answer streamed in 500 chunks needs 500 of them.
 */
const INFO = 'ecdsa_encryption';
const KEY_BYTES = 65;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The shortest sealed content (empty plaintext), in hex characters. */
export const MIN_SEALED_HEX = (KEY_BYTES + IV_BYTES + TAG_BYTES) * 2;

let curveLib = tinySecp256k1;

/** Which curve code runs: libsecp256k1 when installed (default), or always OpenSSL's (so tests can run both). */
export function useCurve(which: 'default' | 'openssl') {
  curveLib = which === 'openssl' ? () => null : tinySecp256k1;
}

/** A secp256k1 key pair; `publicKey` uncompressed (65 bytes). Never serialised: `privateKey` is not enumerable. */
export interface KeyPair {
  readonly privateKey: Buffer;
  readonly publicKey: Buffer;
}

/** A fresh secp256k1 key pair. */
export function newKeyPair(): KeyPair {
  const secp = curveLib();
  let privateKey: Buffer;
  let publicKey: Buffer;
  if (secp) {
    do privateKey = randomBytes(32);
    while (!secp.isPrivate(privateKey));
    publicKey = Buffer.from(secp.pointFromScalar(privateKey, false)!);
  } else {
    const ecdh = createECDH('secp256k1');
    publicKey = ecdh.generateKeys();
    privateKey = ecdh.getPrivateKey();
  }
  const pair = { publicKey } as KeyPair;
  Object.defineProperty(pair, 'privateKey', { value: privateKey, enumerable: false });
  return pair;
}

/** An uncompressed secp256k1 public key as bytes, from 130 hex digits (`04…`) or 128 (the prefix left off). */
export function publicKeyBytes(hex: string): Buffer | undefined {
  const clean = hex.replace(/^0x/, '');
  const full = clean.length === 128 ? `04${clean}` : clean;
  if (full.length !== 130 || !/^04[0-9a-fA-F]+$/.test(full)) return undefined;
  const bytes = Buffer.from(full, 'hex');
  try {
    ECDH.convertKey(bytes, 'secp256k1'); // throws unless the point is on the curve
    return bytes;
  } catch {
    return undefined;
  }
}

/** The x coordinate of `own.privateKey × peer`; throws when `peer` is not a point on the curve. */
function sharedX(own: KeyPair, peer: Uint8Array): Buffer {
  const secp = curveLib();
  if (secp) {
    const point = secp.pointMultiply(peer, own.privateKey, false);
    if (!point) throw new Error('not a curve point');
    return Buffer.from(point.subarray(1, 33));
  }
  const ecdh = createECDH('secp256k1');
  ecdh.setPrivateKey(own.privateKey);
  return ecdh.computeSecret(peer);
}

function aesKey(own: KeyPair, peer: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', sharedX(own, peer), Buffer.alloc(0), INFO, 32));
}

/** A sealer from `own` to `peer`: the key is derived once, each content gets its own IV. */
export function sealerTo(own: KeyPair, peer: Uint8Array): (text: string) => string {
  const key = aesKey(own, peer);
  return (text) => {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return Buffer.concat([own.publicKey, iv, body, cipher.getAuthTag()]).toString('hex');
  };
}

/** Seals `text` to `peer` under a fresh key pair of its own (how the model answers). */
export const sealFresh = (peer: Uint8Array, text: string): string => sealerTo(newKeyPair(), peer)(text);

/** What `unseal` found. `plaintext`: not sealed content at all; `undecryptable`: looks sealed, does not open. */
export type Unsealed = { ok: true; text: string; sender: Buffer } | { ok: false; why: 'plaintext' | 'undecryptable' };

/** Opens sealed content with `own` private key. Never throws. */
export function unseal(own: KeyPair, sealed: string): Unsealed {
  if (sealed.length < MIN_SEALED_HEX || sealed.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(sealed))
    return { ok: false, why: 'plaintext' };
  const raw = Buffer.from(sealed, 'hex');
  const sender = raw.subarray(0, KEY_BYTES);
  if (sender[0] !== 0x04) return { ok: false, why: 'undecryptable' };
  try {
    const key = aesKey(own, sender);
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(KEY_BYTES, KEY_BYTES + IV_BYTES));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const text = Buffer.concat([
      decipher.update(raw.subarray(KEY_BYTES + IV_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
    return { ok: true, text, sender: Buffer.from(sender) };
  } catch {
    return { ok: false, why: 'undecryptable' };
  }
}
