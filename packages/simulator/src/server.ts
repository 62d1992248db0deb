import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatUsd } from '@venice-x402/core';
import { type Address, getAddress } from 'viem';
import type { FaultInjector, FaultRule, HostileQuote } from './faults.js';
import { accountKey, type Ledger, type PaygPayment } from './ledger.js';
import { countTokens, modelToJson, type SimModel, tokenCostMicros } from './models.js';
import {
  checkAgainstAdvertised,
  type DecodedPayment,
  decodePayment,
  type PaymentProblem,
  type Settler,
  verifyPayment,
} from './payments.js';
import { decodePermit2Payment, type Permit2Payment, permit2Option, verifyPermit2 } from './permit2.js';
import { RATE_LIMITED, RateLimiter, X402_ROUTE_LIMITS } from './rate-limits.js';
import { anthropicMessage, planAnthropic } from './routes/anthropic.js';
import {
  type ChallengeContext,
  caseA,
  caseB,
  SOLANA_NETWORK,
  solanaOption,
  topUpDiscovery,
} from './routes/challenges.js';
import { imageEdit, isImageEditRoute } from './routes/images-edit.js';
import {
  chatJson,
  chatStream,
  embeddings,
  HttpFailure,
  images,
  type JsonAnswer,
  speech,
  transcription,
} from './routes/inference.js';
import { type JobAnswer, type JobBook, type JobKind, jobPrice } from './routes/jobs.js';
import { responsesJson, responsesStream } from './routes/responses.js';
import { attestation, openE2ee, TeeKeys } from './routes/tee.js';
import type { SignatureVerifier } from './signatures.js';
import type { createSiwxVerifier } from './siwx-verify.js';
import { settleSolanaPerCall } from './solana/payg.js';
import { decodeSolanaPayment } from './solana/payments.js';
import { answerSolanaRpc } from './solana/rpc.js';
import type { SolanaSettler } from './solana/settle.js';
import { settleSolanaTopUp } from './solana/top-up.js';

export interface ServerDeps {
  mode: 'venice' | 'payg';
  models: Map<string, SimModel>;
  ledger: Ledger;
  settler: Settler;
  faults: FaultInjector;
  verifySiwx: ReturnType<typeof createSiwxVerifier>;
  signatures: SignatureVerifier;
  rateLimits: boolean;
  payTo: Address;
  asset: Address;
  apiKeys: Map<string, string>; // sha256(key) → account id
  balanceHeader: boolean;
  concurrencyLimit: number;
  stats: SimulatorStats;
  now: () => number;
  /** `solana: true`: Solana payments settle on litesvm, and `/solana-rpc` answers for it. */
  solana?: SolanaSettler;
  /** Video and music jobs. */
  jobs: JobBook;
  /** Pay-per-call: the EVM options quoted. */
  paygSchemes: readonly PaygScheme[];
}

/** `exact` over EIP-3009, `upto` over Permit2 (settled at the usage), `exact` over Permit2. */
export type PaygScheme = 'exact' | 'upto' | 'exact-permit2';

export interface SimulatorStats {
  requests: number;
  byRoute: Record<string, number>;
  /** Inference calls answered 200 and billed. */
  paidCalls: number;
  /** Most requests one wallet had in flight at once. */
  maxInFlight: number;
  topUps: number;
  rejected: Record<string, number>;
}

const MAX_BODY = 35 * 1024 * 1024;
const INFERENCE = new Set([
  '/chat/completions',
  '/embeddings',
  '/images/generations',
  '/audio/speech',
  '/audio/transcriptions',
  '/responses',
]);

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) reject(new HttpFailure(413, { code: 'PAYLOAD_TOO_LARGE', error: 'Payload too large' }));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJsonBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpFailure(400, { error: 'Invalid JSON body' });
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};
/** `/video/queue` → ['video', 'queue'] for the async job routes (docs/venice-protocol.md §13.1). */
const jobRoute = (path: string) => {
  const m = /^\/(video|audio)\/(quote|queue|retrieve|complete)$/.exec(path);
  return m ? { kind: m[1] as JobKind, step: m[2] as 'quote' | 'queue' | 'retrieve' | 'complete' } : undefined;
};
const paymentHeader = (req: IncomingMessage) =>
  header(req, 'payment-signature') ?? header(req, 'x-402-payment') ?? header(req, 'x-payment');

export function createSimulatorServer(deps: ServerDeps): Server {
  const inFlight = new Map<string, number>();
  const teeKeys = new TeeKeys();
  const topUpsInProgress = new Map<string, Promise<unknown>>();
  const topUpsDone = new Map<string, { status: number; body: unknown; headers: Record<string, string> }>();
  const limiters = {
    topUp: new RateLimiter(X402_ROUTE_LIMITS.topUpPerIp, deps.now),
    balance: new RateLimiter(X402_ROUTE_LIMITS.balancePerWallet, deps.now),
    transactions: new RateLimiter(X402_ROUTE_LIMITS.transactionsPerWallet, deps.now),
  };
  /** Venice's route limiter answers 429 with no headers and no code. */
  function rateLimited(res: ServerResponse, limiter: RateLimiter, key: string): boolean {
    if (!deps.rateLimits || limiter.take(key)) return false;
    deps.stats.rejected.RATE_LIMITED = (deps.stats.rejected.RATE_LIMITED ?? 0) + 1;
    json(res, 429, RATE_LIMITED);
    return true;
  }

  function challengeContext(req: IncomingMessage, path: string): ChallengeContext {
    const host = header(req, 'host') ?? 'localhost';
    // Venice's challenge names its own domain whatever Host the request carried.
    return {
      payTo: deps.payTo,
      asset: deps.asset,
      domain: 'api.venice.ai',
      resourceUrl: `http://${host}/api/v1${path}`,
      solana: solanaContext(),
    };
  }

  function solanaContext() {
    return deps.solana && { payTo: deps.solana.chain.payTo as string, feePayer: deps.solana.chain.feePayer.address };
  }

  function hostile(quote: any, kind: HostileQuote | undefined) {
    const first = quote.accepts[0];
    if (kind === 'payTo') first.payTo = '0x000000000000000000000000000000000000dEaD';
    if (kind === 'asset') first.asset = '0x1111111111111111111111111111111111111111';
    if (kind === 'network') first.network = 'eip155:1';
    if (kind === 'amount') first.amount = '1000000000000';
    if (kind === 'validity') first.maxTimeoutSeconds = 31_536_000;
    if (kind === 'spender') first.extra = { ...first.extra, spender: '0x000000000000000000000000000000000000dEaD' };
    return quote;
  }

  function applyGenericFault(rule: FaultRule | undefined, res: ServerResponse): boolean {
    if (!rule) return false;
    if (rule.kind === 'rate_limit') {
      json(
        res,
        429,
        { error: 'The model is currently overloaded. Please try again later.' },
        { 'retry-after': String(rule.retryAfterSeconds ?? 1) },
      );
      return true;
    }
    if (rule.kind === 'server_error') {
      json(res, rule.status ?? 500, { error: 'Inference failed', code: 'INFERENCE_FAILED' });
      return true;
    }
    if (rule.kind === 'reset') {
      res.socket?.destroy();
      return true;
    }
    return false;
  }

  async function answerInference(
    path: string,
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
    account: string,
    isWallet: boolean,
    fault: FaultRule | undefined,
  ) {
    let answer: JsonAnswer | undefined;
    // A stream's balance header is read before it is billed (the charge lands when the stream ends).
    const balanceHeader = (): Record<string, string> =>
      isWallet && deps.balanceHeader ? { 'x-balance-remaining': formatUsd(deps.ledger.balance(account)) } : {};
    const body = () => {
      try {
        return JSON.parse(raw.toString('utf8'));
      } catch {
        throw new HttpFailure(400, { error: 'Invalid JSON body' });
      }
    };
    if (path === '/chat/completions') {
      let parsed = body();
      let seal: ((text: string) => string) | undefined;
      if (typeof parsed?.model === 'string' && parsed.model.startsWith('e2ee-'))
        ({ body: parsed, seal } = openE2ee(teeKeys, parsed.model.split(':')[0], req, parsed, fault));
      if (parsed?.stream) {
        const billed = await chatStream(deps.models, parsed, res, fault, balanceHeader(), seal);
        deps.ledger.charge(account, billed.costMicros, billed.requestId, billed.model);
        if (!billed.cut) deps.stats.paidCalls++;
        return;
      }
      answer = chatJson(deps.models, parsed, seal);
    } else if (path === '/responses') {
      const parsed = body();
      if (String(parsed?.model).startsWith('e2ee-'))
        throw new HttpFailure(400, { error: 'E2EE models are served on /chat/completions only' });
      if (parsed?.stream) {
        const billed = await responsesStream(deps.models, parsed, res, fault);
        deps.ledger.charge(account, billed.costMicros, billed.requestId, billed.model);
        if (!billed.cut) deps.stats.paidCalls++;
        return;
      }
      answer = responsesJson(deps.models, parsed);
    } else if (path === '/embeddings') answer = embeddings(deps.models, body());
    else if (path === '/images/generations') answer = images(deps.models, body());
    else if (isImageEditRoute(path)) answer = imageEdit(deps.models, path, body());
    else if (path === '/audio/speech') answer = speech(deps.models, body());
    else if (path === '/audio/transcriptions') {
      const form = await new Request('http://sim/', {
        method: 'POST',
        headers: req.headers as any,
        body: new Uint8Array(raw),
      })
        .formData()
        .catch(() => {
          throw new HttpFailure(400, { error: 'Expected multipart/form-data' });
        });
      answer = await transcription(deps.models, form);
    }
    if (!answer) throw new HttpFailure(404, { error: 'Not found' });
    deps.ledger.charge(account, answer.costMicros, answer.requestId, answer.model);
    deps.stats.paidCalls++;
    const headers: Record<string, string> = { 'x-request-id': answer.requestId };
    if (isWallet && deps.balanceHeader) headers['x-balance-remaining'] = formatUsd(deps.ledger.balance(account));
    if (answer.raw) {
      res.writeHead(200, { 'content-type': answer.contentType ?? 'application/octet-stream', ...headers });
      res.end(answer.raw);
    } else json(res, 200, answer.body, headers);
  }

  async function handleVenice(path: string, req: IncomingMessage, res: ServerResponse) {
    const method = req.method ?? 'GET';
    if (method === 'GET' && path.startsWith('/models')) {
      const type = new URL(req.url ?? '/', 'http://x').searchParams.get('type') ?? 'text';
      const list = [...deps.models.values()].filter((m) => type === 'all' || m.type === type).map(modelToJson);
      return json(res, 200, { object: 'list', type, data: list });
    }
    if (path === '/x402/top-up' && method === 'POST') return topUp(req, res, path);
    if (path === '/tee/attestation' && method === 'GET') {
      const query = new URL(req.url ?? '/', 'http://x').searchParams;
      return json(res, 200, attestation(deps.models, teeKeys, query, deps.faults.pick(path)));
    }
    const job = jobRoute(path);
    if (job?.step === 'quote' && method === 'POST') return quoteJob(req, res, job.kind);
    const walletRoute = /^\/x402\/(balance|transactions)\/([^/?]+)$/.exec(path);
    const known =
      (walletRoute && method === 'GET') ||
      ((INFERENCE.has(path) || isImageEditRoute(path) || job !== undefined) && method === 'POST');
    if (!known) return json(res, 404, { error: 'Not found' });
    // Venice takes payment headers on /x402/top-up only: anywhere else they are refused, not ignored.
    if (paymentHeader(req)) {
      return json(res, 400, {
        error: 'Payment headers are only accepted on /x402/top-up',
        code: 'PAYMENT_HEADER_NOT_ACCEPTED',
      });
    }
    if (walletRoute) return walletRead(req, res, path, walletRoute[1]!, walletRoute[2]!);
    const ctx = challengeContext(req, path);
    const siwx = header(req, 'sign-in-with-x') ?? header(req, 'x-sign-in-with-x');
    let account: string;
    let isWallet = false;
    if (siwx) {
      const result = await deps.verifySiwx(siwx);
      if (!result.ok) {
        deps.stats.rejected[result.code] = (deps.stats.rejected[result.code] ?? 0) + 1;
        return json(res, 401, { error: result.error, code: result.code });
      }
      account = result.account;
      isWallet = true;
    } else {
      const auth = header(req, 'authorization');
      if (!auth) {
        const a = caseA(ctx);
        return json(res, 402, a.body, { 'payment-required': b64(a.header) });
      }
      const key = auth.replace(/^Bearer\s+/i, '');
      const id = deps.apiKeys.get(createHash('sha256').update(key).digest('hex'));
      if (!id) return json(res, 401, { error: 'Authentication failed' });
      account = id;
    }
    const fault = deps.faults.pick(path);
    const balance = deps.ledger.balance(account);
    // Polling and cleaning up a job charge nothing: they are not turned away for a low balance (the job's own
    // charge may be what brought it below the floor).
    const free = job !== undefined && job.step !== 'queue';
    if (!free && (fault?.kind === 'always_402' || (isWallet && balance < 100_000n))) {
      if (!isWallet) return json(res, 402, { error: 'Insufficient USD or Diem balance to complete request' });
      const b = caseB(ctx, Number(balance) / 1e6);
      return json(res, 402, b.body, { 'payment-required': b64(b.header) });
    }
    if (!free && !isWallet && balance <= 0n)
      return json(res, 402, { error: 'Insufficient USD or Diem balance to complete request' });
    const current = inFlight.get(account) ?? 0;
    if (isWallet && current >= deps.concurrencyLimit) {
      deps.stats.rejected.X402_CONCURRENCY_LIMIT = (deps.stats.rejected.X402_CONCURRENCY_LIMIT ?? 0) + 1;
      return json(res, 429, { error: 'Too many concurrent requests', code: 'X402_CONCURRENCY_LIMIT' });
    }
    inFlight.set(account, current + 1);
    deps.stats.maxInFlight = Math.max(deps.stats.maxInFlight, current + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      inFlight.set(account, (inFlight.get(account) ?? 1) - 1);
    };
    res.once('close', release);
    try {
      const raw = await readBody(req);
      if (applyGenericFault(fault, res)) return;
      if (job) answerJob(job.kind, job.step, req, res, raw, account, fault);
      else await answerInference(path, req, res, raw, account, isWallet, fault);
    } finally {
      if (res.writableEnded || res.destroyed) release();
    }
  }

  /** `POST /{video,audio}/quote`: open and free; the same body the queue will get. */
  async function quoteJob(req: IncomingMessage, res: ServerResponse, kind: JobKind) {
    const { micros } = jobPrice(deps.models, kind, parseJsonBody(await readBody(req)));
    return json(res, 200, { quote: Number(micros) / 1e6 });
  }

  function answerJob(
    kind: JobKind,
    step: 'queue' | 'retrieve' | 'complete' | 'quote',
    req: IncomingMessage,
    res: ServerResponse,
    raw: Buffer,
    account: string,
    fault: FaultRule | undefined,
  ) {
    const body = parseJsonBody(raw);
    const fate = fault?.kind === 'job_failure' ? (fault.jobFailure ?? 'provider_error') : 'delivered';
    const origin = `http://${header(req, 'host') ?? 'localhost'}`;
    const answer =
      step === 'queue'
        ? deps.jobs.queue(kind, body, account, fate, origin)
        : step === 'retrieve'
          ? deps.jobs.retrieve(kind, body, account)
          : deps.jobs.complete(kind, body, account);
    if (step === 'queue' && answer.status === 200) deps.stats.paidCalls++;
    sendJobAnswer(res, answer);
  }

  function sendJobAnswer(res: ServerResponse, answer: JobAnswer) {
    if (answer.media) {
      res.writeHead(200, { 'content-type': answer.media.contentType, 'content-length': answer.media.bytes.length });
      res.end(answer.media.bytes);
    } else json(res, answer.status, answer.body);
  }

  async function walletRead(req: IncomingMessage, res: ServerResponse, path: string, kind: string, wallet: string) {
    // docs/venice-protocol.md §2: `^(0x[a-fA-F0-9]{40}|[1-9A-HJ-NP-Za-km-z]{32,44})$`; EVM lowercased, Solana case-sensitive.
    if (!/^(0x[0-9a-fA-F]{40}|[1-9A-HJ-NP-Za-km-z]{32,44})$/.test(wallet))
      return json(res, 400, { error: 'Invalid wallet address', details: { _errors: ['Invalid address'] } });
    const account = accountKey(wallet);
    if (rateLimited(res, kind === 'balance' ? limiters.balance : limiters.transactions, account)) return;
    const siwx = header(req, 'sign-in-with-x') ?? header(req, 'x-sign-in-with-x');
    if (!siwx) {
      const a = caseA(challengeContext(req, path), false);
      return json(res, 402, a.body, { 'payment-required': b64(a.header) });
    }
    const result = await deps.verifySiwx(siwx);
    if (!result.ok) return json(res, 401, { error: 'Invalid Sign-in-with-x signature' });
    if (result.account !== account) {
      return json(res, 403, { error: `You can only access ${kind} for your own wallet` });
    }
    const usd = (m: bigint) => Number(m) / 1e6;
    if (kind === 'balance') {
      const balance = deps.ledger.balance(account);
      return json(res, 200, {
        success: true,
        data: {
          walletAddress: account,
          balanceUsd: usd(balance),
          canConsume: balance >= 100_000n,
          minimumTopUpUsd: 5,
          suggestedTopUpUsd: 10,
        },
      });
    }
    const qs = new URL(req.url ?? '/', 'http://x').searchParams;
    const limit = Number(qs.get('limit') ?? 50);
    const offset = Number(qs.get('offset') ?? 0);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100 || !Number.isInteger(offset) || offset < 0) {
      return json(res, 400, { error: 'Invalid pagination', details: { _errors: ['limit 1-100, offset >= 0'] } });
    }
    const all = deps.ledger.transactions(account);
    const page = all.slice(offset, offset + limit).map((r) => ({
      id: r.id,
      amount: usd(r.amountMicros),
      balanceAfter: usd(r.balanceAfterMicros),
      type: r.type,
      createdAt: r.createdAt,
      requestId: r.requestId,
      modelId: r.modelId,
    }));
    return json(res, 200, {
      success: true,
      data: {
        walletAddress: account,
        currentBalance: usd(deps.ledger.balance(account)),
        transactions: page,
        pagination: { limit, offset, hasMore: offset + limit < all.length },
      },
    });
  }

  async function topUp(req: IncomingMessage, res: ServerResponse, path: string) {
    await readBody(req);
    if (rateLimited(res, limiters.topUp, req.socket.remoteAddress ?? '')) return;
    const fault = deps.faults.pick(path);
    if (applyGenericFault(fault, res)) return;
    const headerValue = paymentHeader(req);
    if (!headerValue) {
      const doc =
        fault?.kind === 'hostile_quote'
          ? hostile(topUpDiscovery(challengeContext(req, path)), fault.hostile)
          : topUpDiscovery(challengeContext(req, path));
      return json(res, 402, doc, { 'payment-required': b64(doc) });
    }
    const advertised = topUpDiscovery(challengeContext(req, path)).accepts;
    const solana = decodeSolanaPayment(headerValue);
    if (solana && 'status' in solana) return json(res, solana.status, { error: solana.code, message: solana.message });
    const decoded = solana ?? decodePayment(headerValue);
    if ('status' in decoded) return json(res, decoded.status, { error: decoded.code, message: decoded.message });
    const key =
      'messageHash' in decoded
        ? `svm:${decoded.messageHash}`
        : `${decoded.authorization.from.toLowerCase()}:${decoded.authorization.nonce}`;
    const done = topUpsDone.get(key);
    if (done) return json(res, done.status, done.body, done.headers); // one authorization credits once
    if (topUpsInProgress.has(key))
      return json(res, 409, { error: 'PAYMENT_IN_PROGRESS', message: 'This payment is being settled' });
    const work =
      'messageHash' in decoded
        ? settleSolanaTopUp(deps.solana, decoded, advertised, deps.ledger).then((outcome) => {
            if (outcome.status === 200) deps.stats.topUps++;
            return outcome;
          })
        : settleTopUp(decoded, advertised);
    topUpsInProgress.set(key, work);
    try {
      const outcome = await work;
      if (outcome.status === 200) topUpsDone.set(key, outcome);
      return json(res, outcome.status, outcome.body, outcome.headers);
    } finally {
      topUpsInProgress.delete(key);
    }
  }

  async function settleTopUp(
    p: DecodedPayment,
    advertised: ReturnType<typeof topUpDiscovery>['accepts'],
  ): Promise<{ status: number; body: unknown; headers: Record<string, string> }> {
    const fail = (e: PaymentProblem) => ({
      status: e.status,
      body: { error: e.code, message: e.message },
      headers: {},
    });
    const nowSeconds = Math.floor(deps.now() / 1000);
    const problem =
      (await verifyPayment(p, {
        payTo: deps.payTo,
        asset: deps.asset,
        minMicros: 5_000_000n,
        maxMicros: 10_000_000_000n,
        nowSeconds,
        signatures: deps.signatures,
      })) ?? checkAgainstAdvertised(p, advertised, nowSeconds);
    if (problem) return fail(problem);
    const settled = await deps.settler.settle(p, deps.asset);
    if ('status' in settled) return fail(settled);
    const payer = p.authorization.from;
    deps.ledger.credit(payer, p.authorization.value);
    deps.stats.topUps++;
    const receipt = { success: true, network: 'eip155:8453', payer, transaction: settled.transaction };
    return {
      status: 200,
      headers: { 'payment-response': b64(receipt) },
      body: {
        success: true,
        data: {
          walletAddress: payer.toLowerCase(),
          amountCredited: Number(p.authorization.value) / 1e6,
          newBalance: Number(deps.ledger.balance(payer)) / 1e6,
          paymentId: `x402-${p.authorization.nonce.slice(2, 18)}`,
        },
      },
    };
  }

  // ---- pay-per-call gateway (seed 004 shape) ----
  /** A catalogue text model's price, else $1 / $5 per million tokens (Anthropic-style models). */
  function paygPricing(model: unknown) {
    const m = deps.models.get(String(model ?? ''));
    return m?.type === 'text' ? m.pricing : { input: 1, output: 5 };
  }

  function paygQuoteMicros(body: any): { micros: bigint; model: string } {
    const model = String(body?.model ?? '');
    const pricing = paygPricing(model);
    const text = JSON.stringify(body?.messages ?? '') + (typeof body?.system === 'string' ? body.system : '');
    const maxTokens = Number(body?.max_tokens ?? body?.max_completion_tokens ?? 64);
    const micros =
      tokenCostMicros(countTokens(text), pricing.input) + tokenCostMicros(Math.min(maxTokens, 64), pricing.output);
    return { micros: micros > 0n ? micros : 1n, model };
  }

  async function handlePayg(path: string, req: IncomingMessage, res: ServerResponse) {
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, {
        object: 'list',
        data: [...deps.models.values()].filter((m) => m.type === 'text').map((m) => ({ id: m.id, object: 'model' })),
      });
    }
    if (path.startsWith('/v1/v1/')) {
      return json(res, 404, {
        error: `Not found: ${path}. The Anthropic SDK appends /v1 itself: give it baseURL: sim.anthropicBaseURL (the origin), not sim.baseURL`,
      });
    }
    if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/v1/messages'))
      return json(res, 404, { error: 'Not found' });
    const raw = await readBody(req);
    let body: any;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return json(res, 400, { error: 'Invalid JSON body' });
    }
    const fault = deps.faults.pick(path);
    const quote = paygQuoteMicros(body);
    const host = header(req, 'host') ?? 'localhost';
    const required = () => {
      const doc = {
        x402Version: 2,
        error: 'Payment required',
        resource: { url: `http://${host}${path}`, description: 'Pay-per-call inference', mimeType: 'application/json' },
        accepts: paygAccepts(quote.micros),
      };
      return fault?.kind === 'hostile_quote' ? hostile(doc, fault.hostile) : doc;
    };
    const payment = paymentHeader(req);
    if (!payment || fault?.kind === 'always_402') {
      const doc = required();
      return json(res, 402, doc, { 'payment-required': b64(doc) });
    }
    if (applyGenericFault(fault, res)) return;
    const reject = (message: string) => {
      const doc = { ...required(), error: message };
      return json(res, 402, doc, { 'payment-required': b64(doc) });
    };
    const model = path === '/v1/messages' || deps.models.has(body.model) ? body.model : 'llama-3.3-70b';
    const anthropic = path === '/v1/messages' ? planAnthropic(body) : undefined;
    // What the call used (tokens × price): what an `upto` payment settles, up to its maximum.
    const usage = () =>
      anthropic
        ? tokenCostMicros(anthropic.usage.input_tokens, paygPricing(model).input) +
          tokenCostMicros(anthropic.usage.output_tokens, paygPricing(model).output)
        : chatJson(deps.models, { ...body, model }).costMicros;
    const paid = await settlePerCall(payment, quote.micros, required().accepts, usage);
    if ('message' in paid) return reject(paid.message);
    deps.ledger.paygPayments.push({ ...paid.record, route: path, createdAt: new Date(deps.now()).toISOString() });
    deps.stats.paidCalls++;
    const receipt = b64({
      success: true,
      network: paid.network,
      payer: paid.record.payer,
      transaction: paid.record.transaction,
      ...(paid.settledAmount === undefined ? {} : { amount: paid.settledAmount.toString() }),
    });
    if (anthropic) return anthropicMessage(anthropic, Boolean(body.stream), res, receipt);
    if (body.stream) {
      await chatStream(deps.models, { ...body, model }, res, fault, { 'payment-response': receipt });
      return;
    }
    const answer = chatJson(deps.models, { ...body, model });
    return json(res, 200, answer.body, { 'payment-response': receipt });
  }

  type PerCall = { network: string; record: Omit<PaygPayment, 'route' | 'createdAt'>; settledAmount?: bigint };

  /** Verifies and settles one per-call payment: EVM (EIP-3009 or Permit2) or Solana (SPL transfer). */
  async function settlePerCall(
    header: string,
    micros: bigint,
    advertised: ReturnType<typeof paygAccepts>,
    usage: () => bigint,
  ): Promise<PerCall | PaymentProblem> {
    const permit2 = decodePermit2Payment(header);
    if (permit2) return 'status' in permit2 ? permit2 : settlePermit2PerCall(permit2, advertised, usage);
    const solana = decodeSolanaPayment(header);
    if (solana) {
      if ('status' in solana) return solana;
      const settled = await settleSolanaPerCall(deps.solana, solana, micros, advertised);
      if ('status' in settled) return settled;
      return {
        network: SOLANA_NETWORK,
        record: {
          payer: settled.payer,
          amountMicros: solana.amount,
          nonce: solana.id,
          transaction: settled.transaction,
        },
      };
    }
    const decoded = decodePayment(header);
    if ('status' in decoded) return decoded;
    const nowSeconds = Math.floor(deps.now() / 1000);
    const problem =
      (await verifyPayment(decoded, {
        payTo: deps.payTo,
        asset: deps.asset,
        minMicros: micros,
        maxMicros: micros,
        nowSeconds,
        signatures: deps.signatures,
      })) ??
      checkAgainstAdvertised(
        decoded,
        advertised.filter((a) => a.network.startsWith('eip155')),
        nowSeconds,
      );
    if (problem) return problem;
    const settled = await deps.settler.settle(decoded, deps.asset);
    if ('status' in settled) return settled;
    const a = decoded.authorization;
    return {
      network: 'eip155:8453',
      record: { payer: a.from, amountMicros: a.value, nonce: a.nonce, transaction: settled.transaction },
    };
  }

  /**
   * `upto` over Permit2: the maximum was authorized; settle what was used (never more), and say how much in the
   * receipt. `exact` over Permit2: the amount.
   */
  async function settlePermit2PerCall(
    p: Permit2Payment,
    advertised: ReturnType<typeof paygAccepts>,
    usage: () => bigint,
  ): Promise<PerCall | PaymentProblem> {
    const problem = await verifyPermit2(p, {
      advertised,
      payTo: deps.payTo,
      asset: deps.asset,
      facilitator: deps.settler.facilitator,
      nowSeconds: Math.floor(deps.now() / 1000),
      signatures: deps.signatures,
    });
    if (problem) return problem;
    const used = p.scheme === 'upto' ? usage() : p.amount;
    const amount = used < p.amount ? used : p.amount;
    const settled = await deps.settler.settlePermit2(p, amount);
    if ('status' in settled) return settled;
    return {
      network: 'eip155:8453',
      record: {
        payer: p.from,
        amountMicros: amount,
        nonce: p.nonce.toString(),
        transaction: settled.transaction,
        ...(p.scheme === 'upto' ? { upto: { maxMicros: p.amount } } : {}),
      },
      settledAmount: p.scheme === 'upto' ? amount : undefined,
    };
  }

  /**
   * The options of a pay-per-call quote: USDC on Base in each of `paygSchemes` (`upto` first, as gateways that bill
   * by usage list it), and on Solana when the simulator runs a Solana VM.
   */
  function paygAccepts(micros: bigint) {
    const amount = micros.toString();
    const base = {
      network: 'eip155:8453',
      amount,
      asset: deps.asset as string,
      payTo: deps.payTo as string,
      maxTimeoutSeconds: 60,
    };
    const evm = {
      scheme: 'exact',
      ...base,
      extra: { name: 'USD Coin', version: '2' } as Record<string, string>,
    };
    const schemes = deps.paygSchemes;
    const options = [
      ...(schemes.includes('upto') ? [permit2Option('upto', base, deps.settler.facilitator)] : []),
      ...(schemes.includes('exact') ? [evm] : []),
      ...(schemes.includes('exact-permit2') ? [permit2Option('exact', base, deps.settler.facilitator)] : []),
    ];
    if (!deps.solana) return options;
    const ctx = { payTo: deps.payTo, domain: '', resourceUrl: '', solana: solanaContext() };
    return [...options, solanaOption(ctx, amount, SOLANA_NETWORK, 60)];
  }

  /** Test USDC for any address (anvil: minted on-chain), so a `serve` user can fund a new wallet. */
  async function faucet(req: IncomingMessage, res: ServerResponse) {
    let body: any;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8'));
    } catch {
      return json(res, 400, { error: 'Body must be JSON: {"address": "0x…", "usd": 20}' });
    }
    const usd = Number(body?.usd);
    if (typeof body?.address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(body.address))
      return json(res, 400, { error: 'address must be a 0x EVM address' });
    if (!Number.isFinite(usd) || usd <= 0 || usd > 100_000)
      return json(res, 400, { error: 'usd must be a number above 0 and at most 100000' });
    await deps.settler.fund(getAddress(body.address), BigInt(Math.round(usd * 1e6)));
    return json(res, 200, {
      address: getAddress(body.address),
      usdcBalanceUsd: Number(await deps.settler.usdcBalance(getAddress(body.address))) / 1e6,
    });
  }

  async function solanaRpc(req: IncomingMessage, res: ServerResponse) {
    const raw = await readBody(req);
    if (!deps.solana || req.method !== 'POST') return json(res, 404, { error: 'Not found' });
    let request: unknown;
    try {
      request = JSON.parse(raw.toString('utf8'));
    } catch {
      return json(res, 200, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    }
    return json(res, 200, await answerSolanaRpc(deps.solana.chain, request));
  }

  return createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    deps.stats.requests++;
    try {
      if (url.pathname === '/_simulator/faucet' && req.method === 'POST') return await faucet(req, res);
      if (url.pathname === '/solana-rpc') return await solanaRpc(req, res);
      const media = /^\/_simulator\/media\/([0-9a-f-]{36})$/.exec(url.pathname);
      if (media && req.method === 'GET') return sendJobAnswer(res, deps.jobs.download(media[1]!));
      if (deps.mode === 'payg') {
        deps.stats.byRoute[url.pathname] = (deps.stats.byRoute[url.pathname] ?? 0) + 1;
        return await handlePayg(url.pathname, req, res);
      }
      if (!url.pathname.startsWith('/api/v1/')) return json(res, 404, { error: 'Not found' });
      const path = url.pathname.slice('/api/v1'.length);
      deps.stats.byRoute[path] = (deps.stats.byRoute[path] ?? 0) + 1;
      await handleVenice(path, req, res);
    } catch (error) {
      if (error instanceof HttpFailure) return json(res, error.status, error.body);
      json(res, 500, { error: 'Internal simulator error', message: (error as Error).message?.slice(0, 200) });
    }
  });
}

export async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
