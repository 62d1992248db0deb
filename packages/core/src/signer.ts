import type { Address, Hex, TypedDataDefinition } from 'viem';
import { InvalidKeyError } from './errors.js';
import { addressOfKey, eip191Signer, hashSigner } from './hash-signer.js';
import { isHexAddress, lazy, viem, viemAccounts } from './lazy.js';
import { createWorkerSigner, type SignInRequest } from './signing-worker.js';

/**
 * The minimum a wallet needs: an address, EIP-191 `signMessage` and EIP-712 `signTypedData`.
 * A viem `Account`, a browser wallet adapter, a smart wallet or a KMS client all fit.
 */
export interface Signer {
  readonly address: Address;
  signMessage(args: { message: string }): Promise<Hex>;
  signTypedData(args: TypedDataDefinition | Record<string, any>): Promise<Hex>;
}

/** A signer that builds whole Sign-In-With-X headers itself, off the event loop (private keys, `offThread`). */
export interface HeaderSigner extends Signer {
  /** `count` headers issued at `at` (ms); see `WorkerSigner.signInHeaders`. */
  signInHeaders(request: SignInRequest, count: number, at: number): Promise<string[]>;
  /** A header signed ahead, taken without waiting (see `WorkerSigner.takeSignInHeader`). */
  takeSignInHeader?(request: SignInRequest, options: { target: number; maxAgeMs: number }): string | undefined;
  /** Resolves once its signing thread can sign (starting it); until then headers are signed on the event loop. */
  ready(): Promise<void>;
  /** Stops its signing thread (it starts again on use). */
  close(): Promise<void>;
}

export const canSignInHeaders = (signer: object): signer is HeaderSigner =>
  typeof (signer as Partial<HeaderSigner>).signInHeaders === 'function';

export type SignerSource = { privateKey: string } | { account: Signer };

/**
 * Builds a signer. The key never leaves the closure of the viem account (and, for `offThread`, the signing
 * thread's workerData) and is never echoed in errors. `offThread`: EIP-191 messages (every Sign-In-With-X) are
 * signed in a worker thread, falling back to this thread if it is unavailable.
 */
export function toSigner(source: SignerSource, options: { offThread?: boolean } = {}): Signer {
  if ('privateKey' in source) {
    const key = source.privateKey;
    if (typeof key !== 'string') throw new InvalidKeyError('expected a 0x-prefixed 32-byte hex string');
    const hex = (key.startsWith('0x') ? key : `0x${key}`) as Hex;
    if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new InvalidKeyError('expected a 0x-prefixed 32-byte hex string');
    try {
      // The address from libsecp256k1 where installed: viem's accounts load only if a signature needs them.
      const account = lazy(() => viemAccounts().privateKeyToAccount(hex));
      const address = addressOfKey(hex) ?? account().address;
      const thread = options.offThread ? createWorkerSigner(hex, { address }) : undefined;
      // libsecp256k1 when installed (same bytes, a third of the CPU), else viem's JS curve.
      const signHash = hashSigner(hex);
      const inline = eip191Signer(hex, account);
      const signer: Signer = {
        address,
        signMessage: ({ message }) =>
          thread ? thread.signMessage(message).catch(() => inline(message)) : inline(message),
        signTypedData: async (args) =>
          signHash?.(viem().hashTypedData(args as TypedDataDefinition)) ??
          account().signTypedData(args as TypedDataDefinition),
      };
      return thread
        ? ({
            ...signer,
            signInHeaders: (request, count, at) => thread.signInHeaders(request, count, at),
            takeSignInHeader: (request, options) => thread.takeSignInHeader(request, options),
            ready: () => thread.ready(),
            close: () => thread.close(),
          } as HeaderSigner)
        : signer;
    } catch {
      throw new InvalidKeyError('not a valid secp256k1 private key');
    }
  }
  const account = source.account as Partial<Signer> | undefined;
  if (!account || typeof account !== 'object') throw new InvalidKeyError('account must be an object');
  if (!isHexAddress(account.address)) {
    throw new InvalidKeyError('account.address must be an EVM address');
  }
  if (typeof account.signMessage !== 'function' || typeof account.signTypedData !== 'function') {
    throw new InvalidKeyError('account must implement signMessage and signTypedData');
  }
  const address = viem().getAddress(account.address);
  return {
    address,
    signMessage: (args) => account.signMessage!.call(account, args),
    signTypedData: (args) => account.signTypedData!.call(account, args),
  };
}
