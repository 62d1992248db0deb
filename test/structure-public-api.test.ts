import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The public surface of each package, pinned: adding or removing a root export is a deliberate change to this
// list. Plumbing the packages share goes to `@venice-x402/<pkg>/internal`, which is not pinned here.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The names a module exports, sorted; `export *` is reported as `*` (a root must name what it exports). */
export function exportedNames(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const names: string[] = [];
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement)) {
      const clause = statement.exportClause;
      if (!clause) names.push('*');
      else if (ts.isNamedExports(clause)) names.push(...clause.elements.map((e) => e.name.text));
      else names.push(clause.name.text);
      continue;
    }
    const exported = ts.canHaveModifiers(statement)
      ? ts.getModifiers(statement)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
      : false;
    if (!exported) continue;
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) if (ts.isIdentifier(d.name)) names.push(d.name.text);
    } else if ('name' in statement && statement.name && ts.isIdentifier(statement.name as ts.Node)) {
      names.push((statement.name as ts.Identifier).text);
    }
  }
  return names.sort();
}

const rootOf = (pkg: string) =>
  exportedNames(pkg, readFileSync(resolve(root, 'packages', pkg, 'src/index.ts'), 'utf8'));

const SURFACE: Record<string, string[]> = {
  core: [
    'ApprovalRequiredError',
    'AttestRequest',
    'Attestation',
    'AttestationCache',
    'AttestationError',
    'AttestationFailure',
    'AuthError',
    'BASE_CHAIN_ID',
    'BASE_NETWORK',
    'BASE_USDC',
    'Balance',
    'Budget',
    'BudgetEvents',
    'BudgetExceededError',
    'BudgetOptions',
    'BudgetPolicy',
    'BudgetPolicyInput',
    'BudgetReport',
    'BudgetReportJson',
    'BudgetStore',
    'BudgetTimers',
    'ChargeDetails',
    'ChargeEvent',
    'CommitOutcome',
    'ConfigError',
    'CounterLimit',
    'DEFAULT_BASE_URL',
    'E2EEError',
    'E2EEFailure',
    'E2EE_HEADERS',
    'E2eeSession',
    'Estimate',
    'Estimator',
    'EvmWallet',
    'FileStore',
    'FileStoreOptions',
    'HEADERS',
    'HoldRecord',
    'HttpError',
    'InvalidKeyError',
    'JobFailedError',
    'JobKind',
    'JobMedia',
    'JobProgress',
    'JobQuoteRequest',
    'JobRecord',
    'JobResult',
    'JobState',
    'JobWaitOptions',
    'KeyPair',
    'KitSolanaSigner',
    'MAX_JOB_QUOTE_USD',
    'MICROS_PER_USD',
    'MIN_JOB_QUOTE_USD',
    'MIN_SEALED_HEX',
    'MemoryStoreOptions',
    'Micros',
    'ModelPricing',
    'NetworkError',
    'PaymentPayload',
    'PaymentRecord',
    'PaymentRequired',
    'PaymentRequiredError',
    'PaymentShape',
    'PolicyDeniedError',
    'PrivateModelKind',
    'ProtocolError',
    'QuoteRejectedError',
    'QuoteRejectionReason',
    'RawPaymentRequirements',
    'ReconcileReport',
    'RedisLike',
    'RefundArgs',
    'RefundEvent',
    'RefundRequest',
    'RefusalLog',
    'RefusalRecord',
    'ReportRow',
    'Reservation',
    'ReservationSettledError',
    'ReserveRequest',
    'RestoreReport',
    'SOLANA_NETWORK',
    'SOLANA_USDC',
    'SeriesRow',
    'SettleResponse',
    'SignInOptions',
    'SignInTarget',
    'SignPaymentOptions',
    'SignedPayment',
    'Signer',
    'SignerSource',
    'SigningPolicy',
    'SolanaSigner',
    'SolanaSignerSource',
    'SolanaWallet',
    'StoreError',
    'StoreInputError',
    'TOP_UP_MAX_MICROS',
    'TOP_UP_MIN_MICROS',
    'TdxQuote',
    'TimeoutError',
    'TopUpClaim',
    'TopUpError',
    'TopUpEvent',
    'TopUpHint',
    'TopUpQuote',
    'TopUpRecord',
    'TopUpResult',
    'TransactionsPage',
    'Unsealed',
    'UptoAuthorization',
    'UsageRow',
    'VeniceJobs',
    'VeniceJobsOptions',
    'VeniceParameters',
    'VeniceTransaction',
    'Wallet',
    'WalletOptions',
    'WindowStatus',
    'X402Error',
    'X402ErrorCode',
    'X402ErrorOptions',
    'attestedModelId',
    'createBudget',
    'createEstimator',
    'createSignInFactory',
    'createVeniceJobs',
    'createWallet',
    'decodePaymentResponse',
    'defaultSigningPolicy',
    'fetchAttestation',
    'fetchJobQuote',
    'fileStore',
    'formatUsd',
    'isSolanaSigner',
    'loadPolicyFile',
    'memoryStore',
    'microsToUsd',
    'newKeyPair',
    'parseModels',
    'parsePolicy',
    'parseTdxQuote',
    'policySchemas',
    'privateModelKind',
    'publicKeyBytes',
    'readPaymentRequired',
    'reconcile',
    'redisStore',
    'restoreFromVenice',
    'sealFresh',
    'sealerTo',
    'signPayment',
    'toSigner',
    'toSolanaSigner',
    'toVeniceParameters',
    'unseal',
    'uptoSettlementOnChain',
    'usdToMicros',
    'veniceParametersSchema',
    'verifyAttestation',
  ],
  fetch: [
    'CallOutcome',
    'Clock',
    'LazyVeniceFetch',
    'OUTCOME_HEADERS',
    'TeeFacts',
    'VeniceCredentials',
    'X402FetchOptions',
    'clearDisputedPayee',
    'createLazyVeniceFetch',
    'createX402Fetch',
    'disputedPayees',
    'outcomeOf',
    'readOutcome',
  ],
  'ai-sdk': [
    'Budget',
    'BudgetExceededError',
    'BudgetPolicyInput',
    'JobFailedError',
    'JobProgress',
    'PaymentRequiredError',
    'PolicyDeniedError',
    'VERSION',
    'VeniceCallMetadata',
    'VeniceChatLanguageModel',
    'VeniceChatModelId',
    'VeniceChatProviderOptions',
    'VeniceEmbeddingModel',
    'VeniceEmbeddingModelId',
    'VeniceImageEdit',
    'VeniceImageEditModel',
    'VeniceImageModel',
    'VeniceImageModelId',
    'VeniceJobSettings',
    'VeniceMusicModel',
    'VeniceParameters',
    'VeniceProvider',
    'VeniceProviderOptions',
    'VeniceProviderSettings',
    'VeniceSpeechModel',
    'VeniceSpeechModelId',
    'VeniceTranscriptionModel',
    'VeniceTranscriptionModelId',
    'VeniceVideoModel',
    'Wallet',
    'createBudget',
    'createVenice',
    'createWallet',
    'fileStore',
    'memoryStore',
    'redisStore',
    'venice',
    'veniceParametersSchema',
  ],
  langchain: [
    'Budget',
    'BudgetExceededError',
    'BudgetPolicyInput',
    'CallOutcome',
    'ChatVeniceX402',
    'ChatVeniceX402CallOptions',
    'ChatVeniceX402Fields',
    'EmbeddingsCallCost',
    'PaymentRequiredError',
    'PolicyDeniedError',
    'VeniceCredentials',
    'VeniceX402Embeddings',
    'VeniceX402EmbeddingsFields',
    'Wallet',
    'createBudget',
    'createWallet',
    'fileStore',
    'memoryStore',
    'redisStore',
  ],
  simulator: [
    'DEFAULT_MODELS',
    'FaultKind',
    'FaultRule',
    'HostileQuote',
    'Ledger',
    'LedgerRow',
    'PaygPayment',
    'PaygScheme',
    'PriceOverrides',
    'SimModel',
    'Simulator',
    'SimulatorOptions',
    'SimulatorStats',
    'SolanaChain',
    'startSimulator',
  ],
  cli: ['Dashboard', 'DashboardOptions', 'DashboardSnapshot', 'EXIT', 'startDashboard'],
};

// SPEC §3 (contract): these names must stay exported from the package roots.
const CONTRACT: Record<string, string[]> = {
  core: [
    'createWallet',
    'createBudget',
    'memoryStore',
    'fileStore',
    'redisStore',
    'X402Error',
    'BudgetExceededError',
    'QuoteRejectedError',
    'PaymentRequiredError',
    'AuthError',
  ],
  fetch: ['createX402Fetch'],
  'ai-sdk': ['createVenice', 'venice'],
  langchain: ['ChatVeniceX402', 'VeniceX402Embeddings'],
  simulator: ['startSimulator'],
};

describe('public API of each package root', () => {
  it('reads named, renamed, declared and star exports', () => {
    const text = [
      "export { a, b as c, type D } from './x.js';",
      "export * from './y.js';",
      "export * as ns from './z.js';",
      'export const e = 1, f = 2;',
      'export function g() {}',
      'export interface H {}',
      'export type I = string;',
      'export class J {}',
      'const hidden = 3;',
    ].join('\n');
    expect(exportedNames('x.ts', text)).toEqual(['*', 'D', 'H', 'I', 'J', 'a', 'c', 'e', 'f', 'g', 'ns'].sort());
  });

  for (const [pkg, names] of Object.entries(SURFACE)) {
    it(`@venice-x402/${pkg} exports exactly its pinned names`, () => {
      expect(rootOf(pkg)).toEqual([...names].sort());
    });
  }

  for (const [pkg, names] of Object.entries(CONTRACT)) {
    it(`@venice-x402/${pkg} keeps the SPEC §3 contract names`, () => {
      expect(rootOf(pkg)).toEqual(expect.arrayContaining(names));
    });
  }
});
