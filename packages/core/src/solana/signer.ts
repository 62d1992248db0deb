import { createPrivateKey, createPublicKey, type KeyObject, sign } from 'node:crypto';
import type {
  Address,
  MessagePartialSigner,
  SignableMessage,
  SignatureBytes,
  Transaction,
  TransactionPartialSigner,
} from '@solana/kit';
import { InvalidKeyError } from '../errors.js';
import { base58Decode, base58Encode, isSolanaAddress } from './base58.js';

/**
 * A Solana wallet's signer: an Ed25519 key behind closures. `signMessage` signs Sign-In-With-X messages;
 * `transactionSigner` is a @solana/kit signer for x402 payment transactions (what `@x402/svm` signs with).
 */
export interface SolanaSigner {
  readonly kind: 'solana';
  /** Base58 public key. */
  readonly address: string;
  /** Ed25519 signature (64 bytes) over exactly `message`. */
  signMessage(message: Uint8Array): Promise<Uint8Array>;
  readonly transactionSigner: TransactionPartialSigner & MessagePartialSigner;
}

/**
 * `solanaPrivateKey`: base58 of the 64-byte secret key (seed ‖ public key: what `solana-keygen` writes and
 * Phantom / Solflare export), base58 of the 32-byte seed alone, or the JSON byte array of a keypair file.
 * `solanaSigner`: any @solana/kit signer that signs messages and transactions (`KeyPairSigner`, a wallet adapter).
 */
export type SolanaSignerSource = { solanaPrivateKey: string } | { solanaSigner: KitSolanaSigner };

/** What a @solana/kit signer must offer: `createKeyPairSignerFromBytes()` returns one. */
export type KitSolanaSigner = Pick<TransactionPartialSigner, 'address' | 'signTransactions'> &
  Pick<MessagePartialSigner, 'signMessages'>;

export const isSolanaSource = (source: object): source is SolanaSignerSource =>
  'solanaPrivateKey' in source || 'solanaSigner' in source;

export const isSolanaSigner = (signer: unknown): signer is SolanaSigner =>
  typeof signer === 'object' && signer !== null && (signer as { kind?: unknown }).kind === 'solana';

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const EXPECTED = 'expected base58 of a 64-byte Solana secret key or a 32-byte seed';

/** Bytes of the key, whatever its encoding; every failure is an InvalidKeyError that never echoes the value. */
function keyBytes(text: unknown): Uint8Array {
  if (typeof text !== 'string') throw new InvalidKeyError(EXPECTED);
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new InvalidKeyError('keypair JSON is not a byte array');
    }
    if (!Array.isArray(parsed) || !parsed.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
      throw new InvalidKeyError('keypair JSON is not a byte array');
    }
    return Uint8Array.from(parsed as number[]);
  }
  const bytes = base58Decode(trimmed);
  if (!bytes) throw new InvalidKeyError(EXPECTED);
  return bytes;
}

function fromPrivateKey(text: unknown): SolanaSigner {
  const bytes = keyBytes(text);
  if (bytes.length !== 64 && bytes.length !== 32) {
    bytes.fill(0);
    throw new InvalidKeyError(EXPECTED);
  }
  const seed = Buffer.concat([PKCS8_ED25519_PREFIX, bytes.subarray(0, 32)]);
  let key: KeyObject;
  let publicKey: Uint8Array;
  try {
    key = createPrivateKey({ key: seed, format: 'der', type: 'pkcs8' });
    publicKey = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(-32));
  } catch {
    throw new InvalidKeyError('not a valid Ed25519 key');
  } finally {
    seed.fill(0);
  }
  const mismatch = bytes.length === 64 && !Buffer.from(bytes.subarray(32)).equals(Buffer.from(publicKey));
  bytes.fill(0);
  if (mismatch) throw new InvalidKeyError('the public half of the 64-byte secret key does not match its seed');
  const address = base58Encode(publicKey);
  const signBytes = (message: Uint8Array) => new Uint8Array(sign(null, message, key)) as SignatureBytes;
  const transactionSigner: TransactionPartialSigner & MessagePartialSigner = Object.freeze({
    address: address as Address,
    signMessages: async (messages: readonly SignableMessage[]) =>
      messages.map((m) => Object.freeze({ [address]: signBytes(m.content) })),
    signTransactions: async (transactions: readonly Transaction[]) =>
      transactions.map((t) => Object.freeze({ [address]: signBytes(t.messageBytes as unknown as Uint8Array) })),
  });
  return Object.freeze({
    kind: 'solana' as const,
    address,
    signMessage: async (message: Uint8Array) => signBytes(message),
    transactionSigner,
  });
}

function fromKitSigner(signer: Partial<KitSolanaSigner> | undefined): SolanaSigner {
  if (!signer || typeof signer !== 'object') throw new InvalidKeyError('solanaSigner must be an object');
  const address = String(signer.address);
  if (!isSolanaAddress(address)) throw new InvalidKeyError('solanaSigner.address must be a base58 Solana address');
  if (typeof signer.signMessages !== 'function' || typeof signer.signTransactions !== 'function') {
    throw new InvalidKeyError('solanaSigner must implement signMessages and signTransactions (a @solana/kit signer)');
  }
  const kit = signer as KitSolanaSigner;
  return Object.freeze({
    kind: 'solana' as const,
    address,
    async signMessage(message: Uint8Array) {
      const [signatures] = await kit.signMessages([{ content: message, signatures: {} }]);
      const signature = (signatures as Record<string, Uint8Array> | undefined)?.[address];
      if (!(signature instanceof Uint8Array) || signature.length !== 64) {
        throw new InvalidKeyError('solanaSigner returned no 64-byte signature for its address');
      }
      return signature;
    },
    transactionSigner: kit as TransactionPartialSigner & MessagePartialSigner,
  });
}

/** Builds a Solana signer. Key bytes are wiped after import; the Ed25519 key lives in a KeyObject in a closure. */
export function toSolanaSigner(source: SolanaSignerSource): SolanaSigner {
  if ('solanaPrivateKey' in source) return fromPrivateKey(source.solanaPrivateKey);
  return fromKitSigner(source.solanaSigner as Partial<KitSolanaSigner> | undefined);
}
