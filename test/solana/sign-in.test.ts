import { createKeyPairSignerFromBytes } from '@solana/kit';
import { createWallet, InvalidKeyError, SOLANA_NETWORK } from '@venice-x402/core';
import { base58Encode } from '@venice-x402/core/internal';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newSolanaKey } from './keys.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ rateLimits: false });
});
afterAll(() => sim.stop());

const decode = (header: string) => JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

async function chat(header: string) {
  const res = await fetch(`${sim.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'SIGN-IN-WITH-X': header },
    body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }),
  });
  return { status: res.status, body: (await res.json()) as { code?: string; choices?: unknown[] } };
}

function solanaWallet() {
  const key = newSolanaKey();
  const wallet = createWallet({ solanaPrivateKey: key.secretBase58 }, { baseURL: sim.baseURL });
  sim.credit(wallet.address, 1);
  return { key, wallet };
}

describe('Solana Sign-In-With-X (Ed25519) against the simulator', () => {
  it('writes the §1.6 message and payload, and the simulator accepts it once', async () => {
    const { key, wallet } = solanaWallet();
    expect(wallet.kind).toBe('solana');
    expect(wallet.address).toBe(key.address);
    const header = await wallet.signIn(`${sim.baseURL}/chat/completions`);
    const payload = decode(header);
    expect(payload).toMatchObject({ address: key.address, chainId: SOLANA_NETWORK, type: 'ed25519' });
    const lines = payload.message.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'api.venice.ai wants you to sign in with your Solana account:',
      key.address,
      '',
      'Sign in to Venice AI',
      '',
    ]);
    expect(lines[5]).toMatch(/^URI: http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines.slice(6, 8)).toEqual(['Version: 1', 'Chain ID: 5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp']);
    expect(lines[8]).toMatch(/^Nonce: [0-9a-f]{16}$/);
    expect(lines[9]).toMatch(/^Issued At: \d{4}-\d\d-\d\dT/);
    expect(lines[10]).toMatch(/^Expiration Time: /);
    expect(lines).toHaveLength(11);
    expect(payload.signature).toMatch(/^[1-9A-HJ-NP-Za-km-z]{86,88}$/); // 64 bytes in base58

    const first = await chat(header);
    expect(first.status).toBe(200);
    expect(first.body.choices).toHaveLength(1);
    expect(sim.ledger.totalCharged(wallet.address)).toBeGreaterThan(0n);
  });

  it('refuses a replayed header: 401 X402_SIGN_IN_NONCE_REUSED', async () => {
    const { wallet } = solanaWallet();
    const header = await wallet.signIn();
    expect((await chat(header)).status).toBe(200);
    expect(await chat(header)).toMatchObject({ status: 401, body: { code: 'X402_SIGN_IN_NONCE_REUSED' } });
  });

  it('refuses tampered messages, foreign signatures and wrong chains or domains', async () => {
    const { wallet } = solanaWallet();
    const other = solanaWallet().wallet;
    const good = decode(await wallet.signIn());
    const tamper = async (patch: Record<string, unknown>) => (await chat(encode({ ...good, ...patch }))).body.code;
    // The message changed after signing (another nonce): the Ed25519 signature no longer verifies.
    expect(await tamper({ message: good.message.replace(/Nonce: \w+/, 'Nonce: 0123456789abcdef') })).toBe(
      'X402_SIGN_IN_INVALID_SIGNATURE',
    );
    // Someone else's valid signature over their own message, presented with this wallet's message.
    expect(await tamper({ signature: decode(await other.signIn()).signature })).toBe('X402_SIGN_IN_INVALID_SIGNATURE');
    // The payload claims another address than the message.
    expect(await tamper({ address: other.address })).toBe('X402_SIGN_IN_ADDRESS_MISMATCH');
    expect(
      await tamper({
        message: good.message.replace('5eykt4UsFv8P8NJdTREpY1vzqKqZKvdp', 'EtWTRABZaYq6iMfeYKouRu166VU2xqa1'),
        chainId: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1',
      }),
    ).toBe('X402_SIGN_IN_UNSUPPORTED_CHAIN');
    expect(await tamper({ chainId: 'solana:EtWTRABZaYq6iMfeYKouRu166VU2xqa1' })).toBe('X402_SIGN_IN_CHAIN_MISMATCH');
    expect(await tamper({ signature: 'not-a-signature' })).toBe('X402_SIGN_IN_INVALID_SIGNATURE');
    // The untouched header still works: none of the refusals above consumed its nonce.
    expect((await chat(encode(good))).status).toBe(200);
  });

  it('applies the EVM rules for domain, age and skew', async () => {
    const key = newSolanaKey();
    const foreign = createWallet(
      { solanaPrivateKey: key.secretBase58 },
      { baseURL: sim.baseURL, signIn: { domain: 'evil.example' } },
    );
    sim.credit(foreign.address, 1);
    expect((await chat(await foreign.signIn())).body.code).toBe('X402_SIGN_IN_DOMAIN_MISMATCH');
    const late = await startSimulator({ now: () => Date.now() + 6 * 60_000 });
    const early = await startSimulator({ now: () => Date.now() - 60_000 });
    try {
      const wallet = createWallet({ solanaPrivateKey: key.secretBase58 }, { baseURL: sim.baseURL });
      for (const [s, code] of [
        [late, 'X402_SIGN_IN_EXPIRED'],
        [early, 'X402_SIGN_IN_FUTURE_TIMESTAMP'],
      ] as const) {
        const res = await fetch(`${s.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'SIGN-IN-WITH-X': await wallet.signIn() },
          body: '{}',
        });
        expect(res.status).toBe(401);
        expect(((await res.json()) as { code: string }).code).toBe(code);
      }
    } finally {
      await Promise.all([late.stop(), early.stop()]);
    }
  });

  it('reads its balance and transactions by base58 address; another wallet gets 403', async () => {
    const { wallet } = solanaWallet();
    const balance = await wallet.balance();
    expect(balance).toMatchObject({ walletAddress: wallet.address, balanceUsd: 1, canConsume: true });
    const page = await wallet.transactions();
    expect(page.transactions.map((t) => t.type)).toEqual(['TOP_UP']);
    const other = solanaWallet().wallet;
    const res = await fetch(`${sim.baseURL}/x402/balance/${wallet.address}`, {
      headers: { 'SIGN-IN-WITH-X': await other.signIn() },
    });
    expect(res.status).toBe(403);
  });

  it('takes a 64-byte secret, a 32-byte seed, a keypair-file byte array or a @solana/kit signer', async () => {
    const key = newSolanaKey();
    const kitSigner = await createKeyPairSignerFromBytes(key.secret);
    const wallets = [
      createWallet({ solanaPrivateKey: key.secretBase58 }, { baseURL: sim.baseURL }),
      createWallet({ solanaPrivateKey: base58Encode(key.seed) }, { baseURL: sim.baseURL }),
      createWallet({ solanaPrivateKey: JSON.stringify([...key.secret]) }, { baseURL: sim.baseURL }),
      createWallet({ solanaSigner: kitSigner }, { baseURL: sim.baseURL }),
    ];
    sim.credit(key.address, 1);
    for (const wallet of wallets) {
      expect(wallet.address).toBe(key.address);
      expect((await chat(await wallet.signIn())).status).toBe(200);
    }
    const mismatched = new Uint8Array([...key.seed, ...newSolanaKey().secret.subarray(32)]);
    for (const bad of [base58Encode(mismatched), 'O0Il', base58Encode(new Uint8Array(31)), '[1,2,300]']) {
      expect(() => createWallet({ solanaPrivateKey: bad })).toThrow(InvalidKeyError);
    }
    expect(() => createWallet({ solanaSigner: { address: 'x' } as never })).toThrow(InvalidKeyError);
  });
});
