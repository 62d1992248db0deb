import { createHash } from 'node:crypto';
import { BASE_USDC, ConfigError, usdToMicros } from '@venice-x402/core';
import { isSolanaAddress } from '@venice-x402/core/internal';
import { type Address, getAddress } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import type { AnvilChain } from './chain/anvil.js';
import { FaultInjector, type FaultRule } from './faults.js';
import { Ledger } from './ledger.js';
import { buildCatalogue, type PriceOverrides } from './models.js';
import { anvilSettler, ledgerSettler, type Settler } from './payments.js';
import { JobBook } from './routes/jobs.js';
import { createSimulatorServer, listen, type PaygScheme, type SimulatorStats } from './server.js';
import { chainVerifier, offlineVerifier } from './signatures.js';
import { createSiwxVerifier } from './siwx-verify.js';
import type { SolanaSettler } from './solana/settle.js';
import type { SolanaChain } from './solana/svm.js';

export type { FaultKind, FaultRule, HostileQuote } from './faults.js';
export type { LedgerRow, PaygPayment } from './ledger.js';
export { Ledger } from './ledger.js';
export { DEFAULT_MODELS, type PriceOverrides, type SimModel } from './models.js';
export type { PaygScheme, SimulatorStats } from './server.js';
export type { SolanaChain } from './solana/svm.js';

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** `ledger` (default): EIP-3009 signatures verified, USDC simulated. `anvil`: real FiatToken v2.2 on a local chain. */
  chain?: 'ledger' | 'anvil';
  /** `venice` (default): Venice's SIWX + prepaid balance API. `payg`: an x402 v2 pay-per-call gateway. */
  mode?: 'venice' | 'payg';
  /**
   * Pay-per-call: the EVM options each quote offers. `exact` (default): EIP-3009. `upto`: a Permit2 maximum (the
   * quote's worst case) that is settled at the call's actual usage, tokens × price, reported in PAYMENT-RESPONSE
   * `amount`. `exact-permit2`: the exact amount over Permit2. Permit2 payments need the wallet's one-time approval
   * of Permit2 (`approvePermit2`).
   */
  paygSchemes?: PaygScheme[];
  /**
   * Settle Solana payments for real: an in-process Solana VM (the optional `litesvm` package) with the SPL Token
   * program and a 6-decimal USDC mint at the mainnet USDC address, `@x402/svm`'s facilitator as fee payer, and a
   * JSON-RPC endpoint for clients at `solanaRpcUrl`. Combines with either `chain`. Default false: the Solana
   * option is still advertised (as Venice does) but nothing settles on it.
   */
  solana?: boolean;
  prices?: PriceOverrides;
  faults?: FaultRule[];
  /** Seed for fault sampling. */
  seed?: number;
  /** Send X-Balance-Remaining on paid 200s (the real service may not). Default true. */
  balanceHeader?: boolean;
  /**
   * Extra Sign-In-With-X domains to accept. Default none: like Venice, only `api.venice.ai` and `venice.ai` pass, so
   * clients under test sign for `api.venice.ai` (`createWallet(source, { signIn: { domain: 'api.venice.ai' } })`).
   */
  allowedDomains?: string[];
  /**
   * Venice's x402 route limits (top-up 10/min per IP, balance 30/min and transactions 20/min per wallet). Default on;
   * `false` lifts them for load tests.
   */
  rateLimits?: boolean;
  /** Bearer API keys and their starting balance in USD. */
  apiKeys?: Record<string, number>;
  /** Per-wallet in-flight limit. Default 5, as Venice enforces. */
  concurrencyLimit?: number;
  /** Video and music jobs: retrieves answered PROCESSING before a job ends. Default 1. */
  jobPolls?: number;
  now?: () => number;
}

export interface Simulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Venice mode: `<url>/api/v1`. Pay-per-call mode: `<url>/v1` (OpenAI SDK style). */
  baseURL: string;
  /** For the Anthropic SDK, which appends `/v1` itself: the origin, `<url>`. */
  anthropicBaseURL: string;
  /**
   * Client options that work with this simulator: `baseURL`, and in Venice mode the sign-in domain it accepts
   * (`api.venice.ai`, whatever host it is reached at). For `createWallet(key, sim.clientOptions)`,
   * `createVenice({ privateKey, ...sim.clientOptions })`, `new ChatVeniceX402({ model, privateKey, ...sim.clientOptions })`.
   */
  clientOptions: { baseURL: string; signIn?: { domain: string } };
  mode: 'venice' | 'payg';
  /** Receiver of top-ups and per-call payments. */
  payTo: Address;
  /** The USDC contract (Base USDC address in both chain modes). */
  usdc: Address;
  /**
   * Gives `address` test USDC to pay with (minted on-chain in anvil mode). A base58 address is funded on the
   * Solana VM (`fundSolana`).
   */
  fund(address: string, usd: number): Promise<void>;
  /** Credits Venice balance directly, as a manual TOP_UP row. */
  credit(address: string, usd: number): void;
  /** USDC base units held by `address` (a base58 address: its Solana USDC token account). */
  usdcBalance(address: string): Promise<bigint>;
  /** `solana: true`: mints test USDC to the base58 `address`'s token account on the Solana VM. */
  fundSolana(address: string, usd: number): Promise<void>;
  /** `solana: true`: USDC (base units) in the base58 `address`'s token account; 0 when it has none. */
  solanaUsdcBalance(address: string): Promise<bigint>;
  /** `solana: true`: JSON-RPC for Solana clients (`createWallet(…, { solanaRpcUrl })`). */
  solanaRpcUrl?: string;
  /** `solana: true`: the VM, its USDC mint, receiver (`payTo`) and fee payer. */
  solana?: SolanaChain;
  /** The account that settles `upto` payments (quoted as `extra.facilitatorAddress`). */
  facilitator: Address;
  /** Records `address`'s one-time ERC-20 approval of Permit2, which Permit2 payments need. */
  approvePermit2(address: string): Promise<void>;
  ledger: Ledger;
  stats: SimulatorStats;
  chain?: AnvilChain;
  setFaults(rules: FaultRule[]): void;
  stop(): Promise<void>;
}

const PAY_TO_MNEMONIC = 'test test test test test test test test test test test junk';

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const now = options.now ?? Date.now;
  const mode = options.mode ?? 'venice';
  const paygSchemes = options.paygSchemes ?? ['exact'];
  if (options.chain === 'anvil' && paygSchemes.some((s) => s !== 'exact')) {
    throw new ConfigError("paygSchemes 'upto' and 'exact-permit2' run with chain: 'ledger' (no Permit2 on anvil)", {
      option: 'paygSchemes',
    });
  }
  const host = options.host ?? '127.0.0.1';
  const ledger = new Ledger(now);
  const faults = new FaultInjector(options.faults, options.seed);
  const payTo = mnemonicToAccount(PAY_TO_MNEMONIC, { addressIndex: 1 }).address;
  const usdc = getAddress(BASE_USDC);
  let chain: AnvilChain | undefined;
  let settler: Settler;
  if (options.chain === 'anvil') {
    const [{ startAnvil }, { installUsdc }] = await Promise.all([
      import('./chain/anvil.js'),
      import('./chain/usdc.js'),
    ]);
    chain = await startAnvil();
    try {
      await installUsdc(chain, usdc);
      settler = await anvilSettler(chain, usdc);
    } catch (error) {
      await chain.stop();
      throw error;
    }
  } else {
    settler = ledgerSettler(mnemonicToAccount(PAY_TO_MNEMONIC, { addressIndex: 2 }).address);
  }
  let solana: SolanaSettler | undefined;
  if (options.solana) {
    try {
      const [{ startSolana }, { solanaSettler }] = await Promise.all([
        import('./solana/svm.js'),
        import('./solana/settle.js'),
      ]);
      solana = await solanaSettler(await startSolana());
    } catch (error) {
      await chain?.stop();
      throw error;
    }
  }
  const apiKeys = new Map<string, string>();
  for (const [key, usd] of Object.entries(options.apiKeys ?? {})) {
    const hash = createHash('sha256').update(key).digest('hex');
    const id = `key:${hash.slice(0, 16)}`;
    apiKeys.set(hash, id);
    ledger.credit(id, usdToMicros(usd));
  }
  const stats: SimulatorStats = { requests: 0, byRoute: {}, paidCalls: 0, maxInFlight: 0, topUps: 0, rejected: {} };
  const domains = ['api.venice.ai', 'venice.ai', ...(options.allowedDomains ?? [])];
  const signatures = chain ? chainVerifier(chain) : offlineVerifier();
  const models = buildCatalogue(options.prices);
  const server = createSimulatorServer({
    mode,
    models,
    jobs: new JobBook({ models, ledger, now, pollsUntilDone: options.jobPolls ?? 1 }),
    ledger,
    settler,
    faults,
    verifySiwx: createSiwxVerifier({ allowedDomains: domains, signatures, now }),
    signatures,
    rateLimits: options.rateLimits ?? true,
    payTo,
    asset: usdc,
    apiKeys,
    balanceHeader: options.balanceHeader ?? true,
    concurrencyLimit: options.concurrencyLimit ?? 5,
    stats,
    now,
    solana,
    paygSchemes,
  });
  let port: number;
  try {
    port = await listen(server, options.port ?? 0, host);
  } catch (error) {
    await chain?.stop();
    throw error;
  }
  const url = `http://${host}:${port}`;
  const needSolana = () => {
    if (!solana) throw new ConfigError('Solana helpers need startSimulator({ solana: true })');
    return solana.chain;
  };
  async function fundSolana(address: string, usd: number) {
    await needSolana().fund(address, usdToMicros(usd));
  }
  async function solanaUsdcBalance(address: string) {
    return needSolana().usdcBalance(address);
  }
  const baseURL = mode === 'payg' ? `${url}/v1` : `${url}/api/v1`;
  return {
    url,
    baseURL,
    anthropicBaseURL: url,
    clientOptions: mode === 'payg' ? { baseURL } : { baseURL, signIn: { domain: domains[0]! } },
    mode,
    payTo,
    usdc,
    fund: (address, usd) =>
      isSolanaAddress(address) ? fundSolana(address, usd) : settler.fund(getAddress(address), usdToMicros(usd)),
    credit: (address, usd) => void ledger.credit(address, usdToMicros(usd)),
    usdcBalance: (address) =>
      isSolanaAddress(address) ? solanaUsdcBalance(address) : settler.usdcBalance(getAddress(address)),
    fundSolana,
    solanaUsdcBalance,
    solanaRpcUrl: solana ? `${url}/solana-rpc` : undefined,
    solana: solana?.chain,
    facilitator: settler.facilitator,
    approvePermit2: (address) => settler.approvePermit2(getAddress(address)),
    ledger,
    stats,
    chain,
    setFaults: (rules) => faults.set(rules),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await chain?.stop();
    },
  };
}
