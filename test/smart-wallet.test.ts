import { createBudget, createWallet, type TopUpError } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import OpenAI from 'openai';
import { type Address, hexToBigInt, keccak256, numberToHex, parseAbi, toHex } from 'viem';
import { generatePrivateKey, type PrivateKeyAccount, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployOwnedAccount, ownedAccount, ownedAccountArtifact, ownedAccountSourceSha256 } from './smart-account.js';

const usdcAbi = parseAbi(['function authorizationState(address authorizer, bytes32 nonce) view returns (bool)']);
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const newKey = () => privateKeyToAccount(generatePrivateKey());

/** A chat call signed in as the contract at `address`, `signer` signing; status and body (401 code on refusal). */
async function signedInChat(sim: Simulator, address: Address, signer: PrivateKeyAccount) {
  const wallet = createWallet(
    { account: ownedAccount(address, signer) },
    { baseURL: sim.baseURL, signIn: { domain: 'api.venice.ai' } },
  );
  const url = `${sim.baseURL}/chat/completions`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [wallet.signInHeaderName]: await wallet.signIn(url) },
    body: JSON.stringify({ model: 'qwen3-4b', messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.status, body: (await res.json()) as { code?: string } };
}

describe('smart wallet (EIP-1271): sign-in and top-up on anvil', () => {
  let sim: Simulator;
  let offline: Simulator;
  beforeAll(async () => {
    [sim, offline] = await Promise.all([startSimulator({ chain: 'anvil' }), startSimulator()]);
  });
  afterAll(async () => {
    await Promise.all([sim?.stop(), offline?.stop()]);
  });

  it('runs the committed OwnedAccount build of the current OwnedAccount.sol', () => {
    expect(ownedAccountArtifact.sourceSha256).toBe(ownedAccountSourceSha256());
    expect(ownedAccountArtifact.bytecode).toMatch(/^0x(?:[0-9a-f]{2})+$/);
  });

  it('the contract answers 0x1626ba7e only for its owner: not a stranger, a short or a high-s signature', async () => {
    const owner = newKey();
    const address = await deployOwnedAccount(sim, owner.address);
    const hash = keccak256(toHex('any digest'));
    const answer = (signature: `0x${string}`) =>
      sim.chain!.client.readContract({
        address,
        abi: ownedAccountArtifact.abi,
        functionName: 'isValidSignature',
        args: [hash, signature],
      });
    const good = await owner.sign({ hash });
    expect(await answer(good)).toBe('0x1626ba7e');
    expect(await answer(await newKey().sign({ hash }))).toBe('0xffffffff');
    expect(await answer(good.slice(0, 130) as `0x${string}`)).toBe('0xffffffff');
    // The malleable twin (s' = n - s, v flipped) recovers to the owner too; EIP-2 rejects it.
    const s = hexToBigInt(`0x${good.slice(66, 130)}`);
    const v = good.endsWith('1b') ? '1c' : '1b';
    const twin = `${good.slice(0, 66)}${numberToHex(SECP256K1_N - s, { size: 32 }).slice(2)}${v}` as `0x${string}`;
    expect(await answer(twin)).toBe('0xffffffff');
  });

  it('tops up from the contract through the core wallet API and pays a chat with that balance', async () => {
    const owner = newKey();
    const address = await deployOwnedAccount(sim, owner.address);
    await sim.fund(address, 50);
    const account = ownedAccount(address, owner);
    const wallet = createWallet({ account }, { baseURL: sim.baseURL, signIn: { domain: 'api.venice.ai' } });
    expect(wallet.address).toBe(address);
    const payeeBefore = await sim.usdcBalance(sim.payTo);

    const topUp = await wallet.topUp(10);
    expect(topUp).toMatchObject({ amountUsd: 10, newBalanceUsd: 10, network: 'eip155:8453' });
    const receipt = await sim.chain!.client.getTransactionReceipt({ hash: topUp.transaction as `0x${string}` });
    expect(receipt.status).toBe('success');
    expect(await sim.usdcBalance(address)).toBe(40_000_000n);
    expect((await sim.usdcBalance(sim.payTo)) - payeeBefore).toBe(10_000_000n);
    const used = await sim.chain!.client.readContract({
      address: sim.usdc,
      abi: usdcAbi,
      functionName: 'authorizationState',
      args: [address, topUp.paymentNonce as `0x${string}`],
    });
    expect(used).toBe(true); // FiatToken consumed the contract's own authorization
    expect(sim.ledger.balance(address)).toBe(10_000_000n);
    expect((await wallet.balance()).balanceUsd).toBe(10); // a signed-in wallet route, as the contract

    const budget = createBudget();
    const client = new OpenAI({
      baseURL: sim.baseURL,
      apiKey: 'unused',
      fetch: createX402Fetch({ wallet, budget }),
      maxRetries: 0,
    });
    const { data, response } = await client.chat.completions
      .create({ model: 'llama-3.3-70b', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 8 })
      .withResponse();
    expect(response.status).toBe(200);
    expect(data.choices[0]!.message.content).toMatch(/Simulated reply/);
    const charged = sim.ledger.totalCharged(address);
    expect(charged).toBeGreaterThan(0n);
    expect(sim.ledger.balance(address)).toBe(10_000_000n - charged);
    expect((await budget.report()).totalUsd).toBeCloseTo(Number(charged) / 1e6, 9);
  });

  it('a ledger-mode simulator (offline, EOAs only) refuses the same smart-account sign-in', async () => {
    const owner = newKey();
    const address = await deployOwnedAccount(sim, owner.address);
    sim.credit(address, 1);
    offline.credit(address, 1);
    expect(await signedInChat(sim, address, owner)).toMatchObject({ status: 200 });
    expect(await signedInChat(offline, address, owner)).toEqual({
      status: 401,
      body: { error: expect.any(String), code: 'X402_SIGN_IN_INVALID_SIGNATURE' },
    });
  });

  it('refuses a sign-in and a top-up signed by an EOA that does not own the contract', async () => {
    const address = await deployOwnedAccount(sim, newKey().address);
    await sim.fund(address, 50);
    sim.credit(address, 1);
    const stranger = newKey();
    expect(await signedInChat(sim, address, stranger)).toEqual({
      status: 401,
      body: { error: expect.any(String), code: 'X402_SIGN_IN_INVALID_SIGNATURE' },
    });
    const wallet = createWallet({ account: ownedAccount(address, stranger) }, { baseURL: sim.baseURL });
    const error = (await wallet.topUp(10).catch((e: unknown) => e)) as TopUpError;
    expect(error).toMatchObject({ name: 'TopUpError', details: { serverCode: 'INVALID_PAYMENT_PAYER' } });
    expect(await sim.usdcBalance(address)).toBe(50_000_000n);
    expect(sim.ledger.balance(address)).toBe(1_000_000n);
  });
});
