import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** One build of libsecp256k1: recoverable ECDSA over a 32-byte hash (RFC 6979 nonce, low s) and public keys. */
export interface Secp256k1 {
  /** Which build this is (benchmarks and tests name it). */
  readonly name: 'native' | 'wasm';
  /** Undefined where this build's signature would not be RFC 6979's (the caller then signs with viem). */
  sign(hash: Uint8Array, key: Uint8Array): { signature: Uint8Array; recoveryId: number } | undefined;
  /** The uncompressed public key (65 bytes), or undefined for a scalar that is not a valid key. */
  publicKey(key: Uint8Array): Uint8Array | undefined;
}

/** `tiny-secp256k1`'s API, as far as this package uses it (also the E2EE curve arithmetic). */
export interface TinySecp256k1 {
  signRecoverable(hash: Uint8Array, key: Uint8Array): { signature: Uint8Array; recoveryId: 0 | 1 | 2 | 3 };
  isPrivate(key: Uint8Array): boolean;
  pointFromScalar(key: Uint8Array, compressed?: boolean): Uint8Array | null;
  pointMultiply(point: Uint8Array, scalar: Uint8Array, compressed?: boolean): Uint8Array | null;
}

/** The binding of `secp256k1` (v5), without its `elliptic` fallback, which this package never loads. */
interface NativeBinding {
  ecdsaSign(hash: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
  privateKeyVerify(key: Uint8Array): boolean;
  publicKeyCreate(key: Uint8Array, compressed: boolean): Uint8Array;
}

/** Loads an optional package; undefined when it is missing or cannot load here (no prebuilt binary, a bundle). */
function optional<T>(name: string): T | undefined {
  try {
    return require(name) as T;
  } catch {
    return undefined;
  }
}

/** Wraps every call into the native binding, its loading included (a signing thread's stop guard). */
let nativeCall = <T>(call: () => T): T => call();

/** Routes this thread's native calls through `guard` (see `thread-stop.ts`); set before the binding loads. */
export function guardNativeCalls(guard: <T>(call: () => T) => T): void {
  nativeCall = guard;
}

let tiny: TinySecp256k1 | null | undefined;

/** `tiny-secp256k1` (libsecp256k1 compiled to WASM), an optional dependency; null when it is not installed. */
export function tinySecp256k1(): TinySecp256k1 | null {
  if (tiny === undefined) tiny = optional<TinySecp256k1>('tiny-secp256k1') ?? null;
  return tiny;
}

const loaders: Record<Secp256k1['name'], () => Secp256k1 | undefined> = {
  // `secp256k1/bindings` loads the prebuilt N-API binary through node-gyp-build (no compiler at install).
  native() {
    const lib = nativeCall(() => optional<NativeBinding>('secp256k1/bindings'));
    if (!lib) return undefined;
    return {
      name: 'native',
      sign(hash, key) {
        // Its libsecp256k1 feeds RFC 6979 the hash unreduced: for a hash ≥ n (odds ~2⁻¹²⁸) the nonce differs.
        if (!belowOrder(hash)) return undefined;
        const { signature, recid } = nativeCall(() => lib.ecdsaSign(hash, key));
        return { signature, recoveryId: recid };
      },
      publicKey: (key) => nativeCall(() => (lib.privateKeyVerify(key) ? lib.publicKeyCreate(key, false) : undefined)),
    };
  },
  wasm() {
    const lib = tinySecp256k1();
    if (!lib) return undefined;
    return {
      name: 'wasm',
      sign: (hash, key) => lib.signRecoverable(hash, key),
      publicKey: (key) => (lib.isPrivate(key) ? (lib.pointFromScalar(key, false) ?? undefined) : undefined),
    };
  },
};

/** The group order n, big-endian. */
const ORDER = Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex');
const belowOrder = (hash: Uint8Array) => Buffer.compare(hash, ORDER) < 0;

const loaded = new Map<Secp256k1['name'], Secp256k1 | undefined>();

/** One build by name, or undefined when it is not installed here. */
export function secp256k1Build(name: Secp256k1['name']): Secp256k1 | undefined {
  if (!loaded.has(name)) loaded.set(name, loaders[name]());
  return loaded.get(name);
}

/**
 * The fastest libsecp256k1 installed: the native binding (`secp256k1`, ≈ 35 µs a signature), else the WASM one
 * (`tiny-secp256k1`, ≈ 100–140 µs); undefined without either (callers sign with viem's JS curve, ≈ 400 µs).
 */
export function secp256k1(): Secp256k1 | undefined {
  return secp256k1Build('native') ?? secp256k1Build('wasm');
}
