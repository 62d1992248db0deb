/**
 * Usage-based x402 (`upto`) and `exact` over Permit2 on pay-per-call gateways: the simulator's payg mode, the
 * Anthropic SDK, and small hostile node:http gateways of the test's own.
 */
import Anthropic from '@anthropic-ai/sdk';
import {
  ApprovalRequiredError,
  BASE_NETWORK,
  BASE_USDC,
  BudgetExceededError,
  createBudget,
  createWallet,
  type Wallet,
} from '@venice-x402/core';
import {
  decodeBase64Json,
  encodeBase64Json,
  encodePaymentRequired,
  permit2Contracts,
} from '@venice-x402/core/internal';
import { createX402Fetch, outcomeOf } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { encodeFunctionData, parseAbi, toFunctionSelector } from 'viem';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import {
  chatAnswer,
  chatBody,
  type Hostile,
  json,
  PAY_TO,
  startHostile,
} from './reliability/adversarial/hostile-server.js';

const FACILITATOR = '0x2222222222222222222222222222222222222222';
/** The x402 upto proxy's settlement call, as `@x402/evm`'s ABI declares it. */
const UPTO_PROXY_ABI = parseAbi([
  'struct TokenPermissions { address token; uint256 amount; }',
  'struct Permit { TokenPermissions permitted; uint256 nonce; uint256 deadline; }',
  'struct Witness { address to; address facilitator; uint256 validAfter; }',
  'function settle(Permit permit, uint256 amount, address owner, Witness witness, bytes signature)',
]);
const post = (body = chatBody()) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body });
const usd = (micros: bigint) => Number(micros) / 1e6;

/** A wallet whose EIP-712 signatures are counted (to prove a refusal came before any signature). */
function countingWallet(extra: Parameters<typeof createWallet>[1] = {}) {
  const base = createWallet({ privateKey: generatePrivateKey() });
  const signed: string[] = [];
  const wallet = createWallet(
    {
      account: {
        address: base.address,
        signMessage: (a) => base.signer.signMessage(a),
        signTypedData: (a: any) => {
          signed.push(a.primaryType);
          return base.signer.signTypedData(a);
        },
      },
    },
    extra,
  );
  return { wallet, signed };
}

type Option = { scheme?: string; amount?: bigint; maxTimeoutSeconds?: number; extra?: Record<string, unknown> };

/** A v2 quote of Base USDC options; by default one `upto` option of `amount` naming FACILITATOR. */
function quote(options: Option[] = [{}]): string {
  return encodePaymentRequired({
    x402Version: 2,
    resource: { url: 'http://gateway/v1/chat/completions', description: 'paid', mimeType: 'application/json' },
    accepts: options.map((o) => ({
      scheme: o.scheme ?? 'upto',
      network: BASE_NETWORK,
      amount: String(o.amount ?? 50_000n),
      asset: BASE_USDC,
      payTo: PAY_TO,
      maxTimeoutSeconds: o.maxTimeoutSeconds ?? 60,
      extra: o.extra ?? {
        name: 'USD Coin',
        version: '2',
        assetTransferMethod: 'permit2',
        ...((o.scheme ?? 'upto') === 'upto' ? { facilitatorAddress: FACILITATOR } : {}),
      },
    })),
  } as any);
}

const servers: Hostile[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A gateway that quotes `quoteValue`, and answers a paid request with `receipt` as PAYMENT-RESPONSE (if any). */
async function gateway(quoteValue: string, receipt: (payload: any) => string | undefined) {
  const server = await startHostile((req, res) => {
    const payment = req.headers['payment-signature'];
    if (!payment) return json(res, 402, { error: 'pay' }, { 'PAYMENT-REQUIRED': quoteValue });
    const value = receipt(decodeBase64Json(String(payment), 'payment'));
    json(res, 200, chatAnswer(0.04), value === undefined ? {} : { 'PAYMENT-RESPONSE': value });
  });
  servers.push(server);
  return server;
}

const receiptOf = (payload: any, amount: unknown) =>
  encodeBase64Json({
    success: true,
    network: BASE_NETWORK,
    payer: payload.payload.permit2Authorization.from,
    transaction: `0x${'ab'.repeat(32)}`,
    amount,
  });

function payg(wallet: Wallet, server: Hostile, policy: Parameters<typeof createBudget>[0] = {}) {
  const budget = createBudget({ signing: { payees: [PAY_TO] }, ...policy });
  return { budget, fetch: createX402Fetch({ wallet, budget, mode: 'payg', baseURL: server.url, maxRetries: 0 }) };
}

const sentPayload = (server: Hostile) => {
  const seen = server.seen.find((s) => s.headers['payment-signature']);
  return seen && (decodeBase64Json(String(seen.headers['payment-signature']), 'payment') as any);
};

describe('upto through the simulator: committed at the settled amount', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ mode: 'payg', paygSchemes: ['upto', 'exact'] });
  });
  afterAll(() => sim.stop());

  async function funded() {
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    await sim.fund(wallet.address, 1);
    await sim.approvePermit2(wallet.address);
    return wallet;
  }

  it('an upto call counts its maximum until reconciled; the outcome gives the settlement the receipt claims', async () => {
    const wallet = await funded();
    const budget = createBudget({ signing: { payees: [sim.payTo] } });
    const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: sim.url });
    const res = await fetch(`${sim.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'llama-3.3-70b', messages: [{ role: 'user', content: 'hello' }], max_tokens: 64 }),
    });
    expect(res.status).toBe(200);
    const outcome = await outcomeOf(res);
    const [paid] = sim.ledger.paygPayments.filter((p) => p.payer === wallet.address);
    expect(paid!.amountMicros).toBeLessThan(paid!.upto!.maxMicros); // paid by upto, settled below its maximum
    const report = await budget.report();
    // A receipt is the gateway's word: the signature allowed the maximum, which stays counted (ambiguous).
    expect(report.totalUsd).toBeCloseTo(usd(paid!.upto!.maxMicros), 9);
    expect(outcome).toMatchObject({ status: 'ambiguous', claimedUsd: usd(paid!.amountMicros) });
    expect(outcome?.costUsd).toBeCloseTo(usd(paid!.upto!.maxMicros), 9);
    expect(await sim.usdcBalance(wallet.address)).toBe(1_000_000n - paid!.amountMicros);
    expect(report.windows.every((w) => w.reservedUsd === 0)).toBe(true);
  });

  it('prefers upto to exact at the same amount, and settles less than the maximum', async () => {
    const wallet = await funded();
    const budget = createBudget({ signing: { payees: [sim.payTo] } });
    const seen: any[] = [];
    const spy: typeof fetch = async (input, init) => {
      const header = new Headers(init?.headers).get('payment-signature');
      if (header) seen.push(decodeBase64Json(header, 'payment'));
      return globalThis.fetch(input, init);
    };
    const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: sim.url, fetch: spy });
    const body = JSON.stringify({
      model: 'llama-3.3-70b',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 64,
    });
    const res = await fetch(`${sim.baseURL}/chat/completions`, post(body));
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
    expect(seen[0].accepted.scheme).toBe('upto');
    const authorized = BigInt(seen[0].accepted.amount);
    const [paid] = sim.ledger.paygPayments.filter((p) => p.payer === wallet.address);
    expect(paid!.amountMicros).toBeLessThan(authorized);
    expect((await budget.report()).totalUsd).toBeCloseTo(usd(authorized), 9);
  });

  it('the Anthropic SDK pays with upto (JSON and stream); the budget counts the maximums', async () => {
    const wallet = await funded();
    const budget = createBudget({ limits: { dailyUsd: 0.5 }, signing: { payees: [sim.payTo] } });
    const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: sim.url });
    const anthropic = new Anthropic({ baseURL: sim.anthropicBaseURL, apiKey: 'unused', fetch, maxRetries: 0 });
    const msg = await anthropic.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(msg.content[0]!.type).toBe('text');
    const stream = anthropic.messages.stream({
      model: 'claude-haiku-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'stream' }],
    });
    expect((await stream.finalMessage()).content[0]!.type).toBe('text');
    const paid = sim.ledger.paygPayments.filter((p) => p.payer === wallet.address);
    expect(paid).toHaveLength(2);
    for (const p of paid) expect(p.amountMicros).toBeLessThan(p.upto!.maxMicros);
    const total = paid.reduce((s, p) => s + p.amountMicros, 0n);
    const maximums = paid.reduce((s, p) => s + p.upto!.maxMicros, 0n);
    expect((await budget.report()).totalUsd).toBeCloseTo(usd(maximums), 9);
    expect(await sim.usdcBalance(wallet.address)).toBe(1_000_000n - total);
  });

  it('a wallet that has not approved Permit2 gets ApprovalRequiredError with the approval to send', async () => {
    const wallet = createWallet({ privateKey: generatePrivateKey() });
    await sim.fund(wallet.address, 1);
    const budget = createBudget({ signing: { payees: [sim.payTo] } });
    const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: sim.url, maxRetries: 0 });
    const error = await fetch(`${sim.baseURL}/chat/completions`, post()).catch((e) => e);
    expect(error).toBeInstanceOf(ApprovalRequiredError);
    expect(error.details.spender).toBe(permit2Contracts().permit2);
    expect(error.details.approveTx.to.toLowerCase()).toBe(BASE_USDC.toLowerCase());
    expect(error.details.approveTx.data).toMatch(/^0x095ea7b3/); // approve(address,uint256)
    expect(await sim.usdcBalance(wallet.address)).toBe(1_000_000n);
    // The signed permit left the process: it stays counted (ambiguous) until it expires or is reconciled.
    const requests = [...(await budget.store.requests()).values()];
    expect(requests.map((r) => r.ambiguous)).toEqual([true]);
  });

  it('refuses a hostile upto quote naming another spender before signing', async () => {
    const { wallet, signed } = countingWallet();
    await sim.fund(wallet.address, 1);
    await sim.approvePermit2(wallet.address);
    const budget = createBudget({ signing: { payees: [sim.payTo] } });
    const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: sim.url });
    expect((await fetch(`${sim.baseURL}/chat/completions`, post())).status).toBe(200);
    expect(signed).toEqual(['PermitWitnessTransferFrom']); // honest quote: upto
    sim.setFaults([{ kind: 'hostile_quote', hostile: 'spender' }]);
    try {
      // The upto option is refused; the exact option beside it is still acceptable and is paid instead.
      const res = await fetch(`${sim.baseURL}/chat/completions`, post());
      expect(res.status).toBe(200);
      expect(signed).toEqual(['PermitWitnessTransferFrom', 'TransferWithAuthorization']);
    } finally {
      sim.setFaults([]);
    }
  });
});

describe('upto against hostile gateways', () => {
  it('refuses a spender that is not the x402 proxy, before signing and before holding anything', async () => {
    for (const extra of [
      { spender: '0x000000000000000000000000000000000000dEaD' },
      { permit2Address: '0x000000000000000000000000000000000000dEaD' },
    ]) {
      const server = await gateway(
        quote([{ extra: { assetTransferMethod: 'permit2', facilitatorAddress: FACILITATOR, ...extra } }]),
        () => undefined,
      );
      const { wallet, signed } = countingWallet();
      const { fetch, budget } = payg(wallet, server);
      const error = await fetch(`${server.url}/v1/chat/completions`, post()).catch((e) => e);
      expect(error.code).toBe('QUOTE_REJECTED');
      expect(error.details.reason).toBe('spender');
      expect(signed).toHaveLength(0);
      expect(sentPayload(server)).toBeUndefined();
      expect((await budget.report()).totalUsd).toBe(0);
    }
  });

  it('refuses an upto quote without a facilitator, a deadline too far, a maximum above policy', async () => {
    const cases: [Option, string][] = [
      [{ extra: { assetTransferMethod: 'permit2' } }, 'facilitator'],
      [{ maxTimeoutSeconds: 31_536_000 }, 'timeout'],
      [{ amount: 2_000_000n }, 'amount'], // maxPaymentUsd defaults to $1
      [{ extra: { assetTransferMethod: 'eip3009', facilitatorAddress: FACILITATOR } }, 'scheme'],
    ];
    for (const [option, reason] of cases) {
      const server = await gateway(quote([option]), () => undefined);
      const { wallet, signed } = countingWallet();
      const { fetch, budget } = payg(wallet, server);
      const error = await fetch(`${server.url}/v1/chat/completions`, post()).catch((e) => e);
      expect([error.code, error.details?.reason]).toEqual(['QUOTE_REJECTED', reason]);
      expect(signed).toHaveLength(0);
      expect((await budget.store.requests()).size).toBe(0);
    }
  });

  it('holds the maximum before signing: a maximum the budget cannot hold is refused unsigned', async () => {
    const server = await gateway(quote([{ amount: 50_000n }]), (p) => receiptOf(p, '1'));
    const { wallet, signed } = countingWallet();
    const { fetch, budget } = payg(wallet, server, { limits: { dailyUsd: 0.04 } });
    const error = await fetch(`${server.url}/v1/chat/completions`, post()).catch((e) => e);
    expect(error).toBeInstanceOf(BudgetExceededError);
    expect(signed).toHaveLength(0);
    expect(sentPayload(server)).toBeUndefined();
    expect((await budget.report()).totalUsd).toBe(0);
  });

  it('signs the canonical Permit2 witness transfer: upto proxy spender, payee, facilitator, short deadline', async () => {
    const server = await gateway(quote(), (p) => receiptOf(p, '12345'));
    const { wallet, signed } = countingWallet();
    const { fetch } = payg(wallet, server);
    expect((await fetch(`${server.url}/v1/chat/completions`, post())).status).toBe(200);
    expect(signed).toEqual(['PermitWitnessTransferFrom']);
    const auth = sentPayload(server).payload.permit2Authorization;
    expect(auth.spender).toBe(permit2Contracts().uptoProxy);
    expect(auth.witness.to.toLowerCase()).toBe(PAY_TO);
    expect(auth.witness.facilitator.toLowerCase()).toBe(FACILITATOR);
    expect(auth.permitted.amount).toBe('50000');
    expect(Number(auth.deadline) - Date.now() / 1000).toBeLessThanOrEqual(61);
  });

  it('a receipt settling the whole maximum commits it: nothing more can move', async () => {
    const server = await gateway(quote(), (p) => receiptOf(p, '50000'));
    const { wallet } = countingWallet();
    const { fetch, budget } = payg(wallet, server);
    const res = await fetch(`${server.url}/v1/chat/completions`, post());
    expect(await outcomeOf(res)).toMatchObject({ status: 'charged', costUsd: 0.05 });
    const requests = [...(await budget.store.requests()).values()];
    expect(requests).toEqual([{ micros: 50_000n, ambiguous: false }]);
  });

  // x402's facilitator answers a zero settlement with `success` and no transaction: the Permit2 signature stays
  // unused and can still be settled up to the maximum until its deadline. A lower claim is the gateway's word.
  for (const [claim, transaction] of [
    ['0', ''],
    ['12345', `0x${'ab'.repeat(32)}`],
  ] as const) {
    it(`a receipt claiming ${claim} of the maximum: the maximum stays counted as ambiguous, the claim is reported`, async () => {
      const server = await gateway(quote(), (p) =>
        encodeBase64Json({
          success: true,
          network: BASE_NETWORK,
          payer: p.payload.permit2Authorization.from,
          transaction,
          amount: claim,
        }),
      );
      const { wallet } = countingWallet();
      const { fetch, budget } = payg(wallet, server, { limits: { dailyUsd: 0.09 } });
      const charges: any[] = [];
      budget.on('charge', (c) => charges.push(c));
      const res = await fetch(`${server.url}/v1/chat/completions`, post());
      expect(res.status).toBe(200);
      expect(await outcomeOf(res)).toMatchObject({
        status: 'ambiguous',
        costUsd: 0.05,
        claimedUsd: Number(claim) / 1e6,
      });
      expect((await budget.report()).totalUsd).toBe(0.05);
      expect([...(await budget.store.requests()).values()]).toEqual([{ micros: 50_000n, ambiguous: true }]);
      expect(charges[0]).toMatchObject({ ambiguous: true, costMicros: 50_000n });
      expect(charges[0].note).toMatch(/claims \$0\.0/);
      // A $0.09 day cannot be spent twice over by receipts that claim less than was authorized.
      const second = await fetch(`${server.url}/v1/chat/completions`, post()).catch((e) => e);
      expect(second).toBeInstanceOf(BudgetExceededError);
    });
  }

  describe('with an EVM RPC, the transaction a receipt names is read on chain', () => {
    const TX = `0x${'cd'.repeat(32)}`;
    type Chain = { status?: '0x1' | '0x0'; nonce?: (n: bigint) => bigint; to?: string; amount: bigint };

    /** A JSON-RPC node that knows one settlement transaction, built from the payment the gateway received. */
    async function chainOf(gatewaySeen: () => any, chain: Chain) {
      const rpc = await startHostile((_req, res, seen) => {
        const call = JSON.parse(seen.body);
        const answer = (result: unknown) => json(res, 200, { jsonrpc: '2.0', id: call.id, result });
        if (call.method === 'eth_call') return answer(`0x${'f'.repeat(64)}`); // Permit2 allowance: plenty
        const auth = gatewaySeen().payload.permit2Authorization;
        const input = encodeFunctionData({
          abi: UPTO_PROXY_ABI,
          functionName: 'settle',
          args: [
            {
              permitted: { token: auth.permitted.token, amount: BigInt(auth.permitted.amount) },
              nonce: (chain.nonce ?? ((n) => n))(BigInt(auth.nonce)),
              deadline: BigInt(auth.deadline),
            },
            chain.amount,
            auth.from,
            { to: auth.witness.to, facilitator: auth.witness.facilitator, validAfter: BigInt(auth.witness.validAfter) },
            gatewaySeen().payload.signature,
          ],
        });
        const block = { blockHash: `0x${'11'.repeat(32)}`, blockNumber: '0x1', transactionIndex: '0x0' };
        const to = chain.to ?? permit2Contracts().uptoProxy;
        if (call.method === 'eth_getTransactionByHash')
          return answer({
            ...block,
            hash: TX,
            from: FACILITATOR,
            to,
            input,
            nonce: '0x0',
            value: '0x0',
            gas: '0x30000',
            gasPrice: '0x1',
            type: '0x0',
            v: '0x1b',
            r: '0x1',
            s: '0x1',
            chainId: '0x2105',
          });
        if (call.method === 'eth_getTransactionReceipt')
          return answer({
            ...block,
            transactionHash: TX,
            from: FACILITATOR,
            to,
            status: chain.status ?? '0x1',
            logs: [],
            logsBloom: `0x${'0'.repeat(512)}`,
            gasUsed: '0x1',
            cumulativeGasUsed: '0x1',
            effectiveGasPrice: '0x1',
            contractAddress: null,
            type: '0x0',
          });
        json(res, 200, { jsonrpc: '2.0', id: call.id, error: { code: -32601, message: 'no such method' } });
      });
      servers.push(rpc);
      return rpc;
    }

    async function callWith(claim: string, chain: Chain) {
      let server: Hostile | undefined;
      server = await gateway(quote(), (p) =>
        encodeBase64Json({
          success: true,
          network: BASE_NETWORK,
          payer: p.payload.permit2Authorization.from,
          transaction: TX,
          amount: claim,
        }),
      );
      const rpc = await chainOf(() => sentPayload(server!), chain);
      const { wallet } = countingWallet({ evmRpcUrl: rpc.url });
      const { fetch, budget } = payg(wallet, server);
      const res = await fetch(`${server.url}/v1/chat/completions`, post());
      return { outcome: await outcomeOf(res), budget, rpc };
    }

    it('commits what the transaction moved, not what the receipt claimed', async () => {
      const { outcome, budget } = await callWith('1', { amount: 40_000n });
      expect(outcome).toMatchObject({ status: 'charged', costUsd: 0.04 });
      expect([...(await budget.store.requests()).values()]).toEqual([{ micros: 40_000n, ambiguous: false }]);
    });

    it('a receipt the chain confirms commits the settled amount', async () => {
      const { outcome, budget } = await callWith('12345', { amount: 12_345n });
      expect(outcome).toMatchObject({ status: 'charged', costUsd: 0.012345 });
      expect((await budget.report()).totalUsd).toBe(0.012345);
    });

    for (const [name, chain] of [
      ['reverted', { amount: 1n, status: '0x0' }],
      ['settling another authorization (nonce)', { amount: 1n, nonce: (n: bigint) => n + 1n }],
      ['sent to another contract', { amount: 1n, to: '0x000000000000000000000000000000000000dEaD' }],
    ] as [string, Chain][]) {
      it(`a transaction ${name} proves nothing: the maximum stays counted as ambiguous`, async () => {
        const { outcome, budget, rpc } = await callWith('1', chain);
        expect(rpc.seen.some((s) => JSON.parse(s.body).method === 'eth_getTransactionByHash')).toBe(true);
        expect(outcome).toMatchObject({ status: 'ambiguous', costUsd: 0.05, claimedUsd: 0.000001 });
        expect((await budget.report()).totalUsd).toBe(0.05);
      });
    }
  });

  describe('with an EVM RPC, an ambiguous upto payment whose deadline passed unused is credited back', () => {
    const NONCE_BITMAP = toFunctionSelector('function nonceBitmap(address owner, uint256 wordPos)');

    /**
     * An RPC whose nonce bitmap says `used` (or not) for every nonce, and whose latest block is `chainAheadS`
     * seconds from now on the chain's clock (the authorization's deadline is a minute away when signed).
     */
    async function permit2Rpc(used: boolean, chainAheadS = 3_600) {
      const rpc = await startHostile((_req, res, seen) => {
        const call = JSON.parse(seen.body);
        if (call.method === 'eth_getBlockByNumber') {
          const timestamp = `0x${(Math.floor(Date.now() / 1000) + chainAheadS).toString(16)}`;
          const block = { number: '0x10', hash: `0x${'ab'.repeat(32)}`, timestamp, transactions: [] };
          return json(res, 200, { jsonrpc: '2.0', id: call.id, result: block });
        }
        const data: string = call.params?.[0]?.data ?? '';
        const word = data.startsWith(NONCE_BITMAP) && !used ? '0'.repeat(64) : 'f'.repeat(64);
        json(res, 200, { jsonrpc: '2.0', id: call.id, result: `0x${word}` });
      });
      servers.push(rpc);
      return rpc;
    }

    async function zeroReceiptCall(rpcUrl: string | undefined) {
      const server = await gateway(quote(), (p) =>
        encodeBase64Json({
          success: true,
          network: BASE_NETWORK,
          payer: p.payload.permit2Authorization.from,
          transaction: '',
          amount: '0',
        }),
      );
      const { wallet } = countingWallet(rpcUrl ? { evmRpcUrl: rpcUrl } : {});
      const budget = createBudget({ signing: { payees: [PAY_TO] } });
      const clock = new ManualClock();
      const fetch = createX402Fetch({ wallet, budget, mode: 'payg', baseURL: server.url, maxRetries: 0, clock });
      const res = await fetch(`${server.url}/v1/chat/completions`, post());
      expect(await outcomeOf(res)).toMatchObject({ status: 'ambiguous', costUsd: 0.05, claimedUsd: 0 });
      expect((await budget.report()).totalUsd).toBe(0.05);
      return { budget, clock };
    }

    it('a zero receipt whose Permit2 nonce is still unused after the deadline: credited, $0 counted', async () => {
      const rpc = await permit2Rpc(false);
      const { budget, clock } = await zeroReceiptCall(rpc.url);
      const refunded = new Promise((resolve) => budget.on('refund', resolve));
      clock.advance(10 * 60_000);
      expect(await refunded).toMatchObject({ refundMicros: 50_000n });
      expect((await budget.report()).totalUsd).toBe(0);
      expect(rpc.seen.some((s) => JSON.parse(s.body).params?.[0]?.data?.startsWith(NONCE_BITMAP))).toBe(true);
    });

    it("asks Permit2 only at a block past the deadline on the chain's clock, never on a host clock running ahead", async () => {
      const deadline = BigInt(Math.floor(Date.now() / 1000) + 60);
      const auth = { owner: PAY_TO, token: BASE_USDC, nonce: 7n, payTo: PAY_TO, deadline };
      const early = await permit2Rpc(false, 0);
      const wallet = createWallet({ privateKey: generatePrivateKey() }, { evmRpcUrl: early.url });
      expect(await wallet.uptoNonceUsed!(auth)).toBeUndefined();
      expect(early.seen.some((s) => JSON.parse(s.body).params?.[0]?.data?.startsWith(NONCE_BITMAP))).toBe(false);
      const late = await permit2Rpc(false);
      expect(
        await createWallet({ privateKey: generatePrivateKey() }, { evmRpcUrl: late.url }).uptoNonceUsed!(auth),
      ).toBe(false);
      const used = await permit2Rpc(true);
      expect(
        await createWallet({ privateKey: generatePrivateKey() }, { evmRpcUrl: used.url }).uptoNonceUsed!(auth),
      ).toBe(true);
    });

    it('without an RPC nothing is asked and the maximum stays counted', async () => {
      const { budget, clock } = await zeroReceiptCall(undefined);
      clock.advance(10 * 60_000);
      expect((await budget.report()).totalUsd).toBe(0.05);
    });
  });

  it('a settled amount above the maximum commits the maximum and disputes the payee', async () => {
    const server = await gateway(quote(), (p) => receiptOf(p, '9000000'));
    const { wallet } = countingWallet();
    const { fetch, budget } = payg(wallet, server);
    const res = await fetch(`${server.url}/v1/chat/completions`, post());
    expect(await outcomeOf(res)).toMatchObject({ status: 'charged', costUsd: 0.05 });
    expect((await budget.report()).totalUsd).toBe(0.05);
    const next = await fetch(`${server.url}/v1/chat/completions`, post()).catch((e) => e);
    expect(next.code).toBe('PAYMENT_REQUIRED');
    expect(next.details.disputed).toBe(true);
    expect(server.seen.filter((s) => s.headers['payment-signature'])).toHaveLength(1);
  });

  for (const [name, receipt] of [
    ['no PAYMENT-RESPONSE', () => undefined],
    ['a garbage PAYMENT-RESPONSE', () => '%%% not base64 %%%'],
    ['a PAYMENT-RESPONSE without an amount', (p: any) => receiptOf(p, undefined)],
    ['a negative settled amount', (p: any) => receiptOf(p, '-5')],
    ['a fractional settled amount', (p: any) => receiptOf(p, '12.5')],
    ['a failed settlement', () => encodeBase64Json({ success: false, transaction: '', network: BASE_NETWORK })],
  ] as const) {
    it(`${name}: the maximum stays counted as ambiguous`, async () => {
      const server = await gateway(quote(), receipt as (p: any) => string | undefined);
      const { wallet } = countingWallet();
      const { fetch, budget } = payg(wallet, server);
      const res = await fetch(`${server.url}/v1/chat/completions`, post());
      expect(res.status).toBe(200);
      expect(await outcomeOf(res)).toMatchObject({ status: 'ambiguous', costUsd: 0.05 });
      const report = await budget.report();
      expect(report.totalUsd).toBe(0.05);
      const requests = [...(await budget.store.requests()).values()];
      expect(requests).toHaveLength(1);
      expect(requests[0]!.ambiguous).toBe(true);
    });
  }

  it('a stream: settled from the PAYMENT-RESPONSE sent with its headers, else ambiguous at the maximum', async () => {
    for (const [amount, status, costUsd] of [
      ['50000', 'charged', 0.05],
      ['4321', 'ambiguous', 0.05],
      [undefined, 'ambiguous', 0.05],
    ] as const) {
      const server = await startHostile((req, res) => {
        const payment = req.headers['payment-signature'];
        if (!payment) return json(res, 402, { error: 'pay' }, { 'PAYMENT-REQUIRED': quote() });
        const payload = decodeBase64Json(String(payment), 'payment');
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          ...(amount ? { 'PAYMENT-RESPONSE': receiptOf(payload, amount) } : {}),
        });
        const frame = { id: 'c1', object: 'chat.completion.chunk', model: 'qwen3-4b' };
        res.write(`data: ${JSON.stringify({ ...frame, choices: [{ index: 0, delta: { content: 'hi' } }] })}\n\n`);
        res.end('data: [DONE]\n\n');
      });
      servers.push(server);
      const { fetch, budget } = payg(countingWallet().wallet, server);
      const res = await fetch(`${server.url}/v1/chat/completions`, post(chatBody({ stream: true })));
      await res.text();
      expect(await outcomeOf(res)).toMatchObject({ status, costUsd });
      expect((await budget.report()).totalUsd).toBe(costUsd);
    }
  });

  it('prefers upto over exact at the same amount, and exact when it is cheaper', async () => {
    const exact = { scheme: 'exact', extra: { name: 'USD Coin', version: '2' } };
    const same = await gateway(quote([{ ...exact, amount: 50_000n }, { amount: 50_000n }]), (p) =>
      receiptOf(p, '1000'),
    );
    const a = payg(countingWallet().wallet, same);
    expect((await a.fetch(`${same.url}/v1/chat/completions`, post())).status).toBe(200);
    expect(sentPayload(same).accepted.scheme).toBe('upto');
    expect((await a.budget.report()).totalUsd).toBe(0.05); // the claim of $0.001 is not the chain's word

    const cheaper = await gateway(quote([{ amount: 50_000n }, { ...exact, amount: 20_000n }]), () => undefined);
    const b = payg(countingWallet().wallet, cheaper);
    expect((await b.fetch(`${cheaper.url}/v1/chat/completions`, post())).status).toBe(200);
    expect(sentPayload(cheaper).accepted.scheme).toBe('exact');
    expect((await b.budget.report()).totalUsd).toBe(0.02);
  });

  it('exact over Permit2: the exact proxy is the spender and the amount is committed', async () => {
    const server = await gateway(quote([{ scheme: 'exact' }]), (p) => receiptOf(p, undefined));
    const { wallet, signed } = countingWallet();
    const { fetch, budget } = payg(wallet, server);
    expect((await fetch(`${server.url}/v1/chat/completions`, post())).status).toBe(200);
    expect(signed).toEqual(['PermitWitnessTransferFrom']);
    expect(sentPayload(server).payload.permit2Authorization.spender).toBe(permit2Contracts().exactProxy);
    expect((await budget.report()).totalUsd).toBe(0.05);
  });

  it('with an EVM RPC and a gateway sponsoring EIP-2612, a missing approval is given as a signed permit', async () => {
    const rpc = await startHostile((_req, res, seen) => {
      const call = JSON.parse(seen.body);
      json(res, 200, { jsonrpc: '2.0', id: call.id, result: `0x${'0'.repeat(64)}` }); // allowance() = nonces() = 0
    });
    servers.push(rpc);
    const sponsored = decodeBase64Json(quote(), 'quote') as any;
    sponsored.extensions = { eip2612GasSponsoring: { info: { description: 'sponsored' } } };
    const server = await gateway(encodeBase64Json(sponsored), (p) => receiptOf(p, '7'));
    const { wallet, signed } = countingWallet({ evmRpcUrl: rpc.url });
    const { fetch, budget } = payg(wallet, server);
    expect((await fetch(`${server.url}/v1/chat/completions`, post())).status).toBe(200);
    expect(signed).toEqual(['PermitWitnessTransferFrom', 'Permit']);
    const info = sentPayload(server).extensions.eip2612GasSponsoring.info;
    expect([info.spender, info.from, info.amount]).toEqual([permit2Contracts().permit2, wallet.address, '50000']);
    expect((await budget.report()).totalUsd).toBe(0.05); // a claim of 7 base units: counted at the maximum
  });

  it('with an EVM RPC, a missing Permit2 approval is refused before signing', async () => {
    const rpc = await startHostile((_req, res, seen) => {
      const call = JSON.parse(seen.body);
      json(res, 200, { jsonrpc: '2.0', id: call.id, result: `0x${'0'.repeat(64)}` }); // allowance() = 0
    });
    servers.push(rpc);
    const server = await gateway(quote(), () => undefined);
    const { wallet, signed } = countingWallet({ evmRpcUrl: rpc.url });
    const { fetch, budget } = payg(wallet, server);
    const error = await fetch(`${server.url}/v1/chat/completions`, post()).catch((e) => e);
    expect(error).toBeInstanceOf(ApprovalRequiredError);
    expect(error.message).toMatch(/approve/);
    expect(error.details.owner).toBe(wallet.address);
    expect(signed).toHaveLength(0);
    expect(sentPayload(server)).toBeUndefined();
    expect((await budget.report()).totalUsd).toBe(0);
  });
});
