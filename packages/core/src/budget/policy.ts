import { readFileSync } from 'node:fs';
import type { z } from 'zod/v4';
import { BASE_NETWORK, BASE_USDC } from '../constants.js';
import { ConfigError } from '../errors.js';
import { lazy, zod } from '../lazy.js';
import { type Micros, usdToMicros } from '../money.js';
import { SOLANA_NETWORK, SOLANA_USDC } from '../solana/constants.js';
import type { SigningPolicy } from '../x402/terms.js';
import { quote, scopeNameProblem } from './scope-names.js';

function build() {
  const { z } = zod();
  // $1bn is far beyond any agent budget and keeps micro-USD exact in JS numbers.
  const usd = z.number().finite().nonnegative().max(MAX_USD, 'must be at most $1,000,000,000');

  const limitsSchema = z
    .object({
      perRequestUsd: usd.optional(),
      hourlyUsd: usd.optional(),
      dailyUsd: usd.optional(),
      monthlyUsd: usd.optional(),
      totalUsd: usd.optional(),
    })
    .strict();

  const globsSchema = z
    .object({ allow: z.array(z.string()).optional(), deny: z.array(z.string()).optional() })
    .strict();

  /** The budget policy, as users write it (USD, JSON-serialisable). */
  const budgetPolicySchema = z
    .object({
      limits: limitsSchema.default({}),
      /** Limits per scope id (`agent:planner`, `team:research`). A call charges every scope in its chain. */
      // Stryker disable next-line MethodExpression: equivalent, the type only (`parsePolicy` checks scopes one by one)
      scopes: z.record(z.string().min(1), limitsSchema).default({}),
      models: globsSchema.default({}),
      routes: globsSchema.default({}),
      signing: z
        .object({
          /** CAIP-2 networks a payment may be signed on; a wallet signs only on its own chain (Base or Solana). */
          networks: z.array(z.string()).default([BASE_NETWORK, SOLANA_NETWORK]),
          /** Tokens: USDC on Base and on Solana. */
          assets: z.array(z.string()).default([BASE_USDC, SOLANA_USDC]),
          payees: z.array(z.string()).default([]),
          maxTimeoutSeconds: z.number().int().positive().max(86_400).default(900),
          /** No single x402 payment (pay-per-call) above this. Default $1. */
          maxPaymentUsd: usd.default(1),
        })
        .strict()
        .default({
          networks: [BASE_NETWORK, SOLANA_NETWORK],
          assets: [BASE_USDC, SOLANA_USDC],
          payees: [],
          maxTimeoutSeconds: 900,
          maxPaymentUsd: 1,
        }),
      topUp: z
        .object({
          auto: z.boolean().default(false),
          amountUsd: z.number().min(5).max(10_000).default(10),
          maxPerDayUsd: usd.default(50),
          maxCount: z.number().int().nonnegative().default(10),
          minIntervalSeconds: z.number().nonnegative().default(60),
        })
        .strict()
        .default({ auto: false, amountUsd: 10, maxPerDayUsd: 50, maxCount: 10, minIntervalSeconds: 60 }),
      reservationTtlSeconds: z.number().positive().max(86_400).default(600),
      /** Estimate for calls whose price cannot be derived (unknown route or model). */
      defaultEstimateUsd: usd.default(0.05),
      /** Emit `warning` when a window reaches this fraction of its limit. */
      warnAt: z.number().min(0).max(1).default(0.8),
    })
    .strict();
  return { budgetPolicySchema, limitsSchema };
}

/** The policy schema (zod), built on first use. */
export const policySchemas = lazy(build);

type Schemas = ReturnType<typeof build>;
export type BudgetPolicyInput = z.input<Schemas['budgetPolicySchema']>;
export type BudgetPolicy = z.output<Schemas['budgetPolicySchema']>;
type Limits = z.infer<Schemas['limitsSchema']>;

export type WindowName = 'hourly' | 'daily' | 'monthly' | 'total';
export const WINDOWS: WindowName[] = ['hourly', 'daily', 'monthly', 'total'];

export interface LimitsMicros {
  perRequest?: Micros;
  hourly?: Micros;
  daily?: Micros;
  monthly?: Micros;
  total?: Micros;
}

export { GLOBAL_SCOPE } from './scope-names.js';

const MAX_USD = 1e9;

export function parsePolicy(input: unknown): BudgetPolicy {
  const { budgetPolicySchema, limitsSchema } = policySchemas();
  const raw = (input ?? {}) as Record<string, unknown>;
  // Scope names are data: `__proto__` or `constructor` must be a scope like any other, so the record is
  // validated entry by entry into a null-prototype object (a plain record would drop or alias them).
  const rawScopes = raw.scopes === undefined ? {} : raw.scopes;
  const result = budgetPolicySchema.safeParse(typeof raw === 'object' ? { ...raw, scopes: {} } : raw);
  const issues: Issue[] = result.success ? [] : [...result.error.issues];
  // `scopes: 5` or a list would otherwise be dropped, and its scopes run unlimited.
  const scopesAreRecord = typeof rawScopes === 'object' && rawScopes !== null && !Array.isArray(rawScopes);
  if (!scopesAreRecord) {
    // Stryker disable next-line StringLiteral: equivalent, only `unrecognized_keys` is told apart by its code
    issues.push({ code: 'custom', path: ['scopes'], message: 'must be an object of limits by scope' });
  }
  const scopes: Record<string, Limits> = Object.create(null);
  for (const [name, limits] of Object.entries(scopesAreRecord ? rawScopes : {})) {
    const scope = limitsSchema.safeParse(limits);
    const problem = scopeNameProblem(name);
    // Stryker disable next-line StringLiteral: equivalent, only `unrecognized_keys` is told apart by its code
    if (problem) issues.push({ code: 'custom', path: ['scopes', name], message: `this scope name ${problem}` });
    if (scope.success) scopes[name] = scope.data;
    else for (const i of scope.error.issues) issues.push({ ...i, path: ['scopes', name, ...i.path] });
  }
  if (!result.success || issues.length > 0) {
    const described = issues.slice(0, 10).map(describeIssue);
    const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
    throw new ConfigError(`Invalid budget policy: ${described.slice(0, 3).join('; ')}${more}`, {
      issues: described,
    });
  }
  return { ...result.data, scopes };
}

/**
 * One validation problem, without echoing what the user typed: an unknown field name may be a pasted secret,
 * so it is reported by position and count only. Scope names are the user's own labels and stay.
 */
interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
}

function describeIssue(issue: Issue): string {
  const where =
    issue.path
      .map((p, i) => {
        if (typeof p === 'number') return `[${p}]`;
        // A scope name is quoted whatever it is, so spaces at its ends show.
        // Stryker disable next-line Regex: equivalent, every field name of the schema is a plain identifier
        const plain = /^[A-Za-z_]\w*$/.test(String(p)) && !(i === 1 && issue.path[0] === 'scopes');
        return plain ? `${i ? '.' : ''}${String(p)}` : `[${quote(p)}]`;
      })
      .join('') || '(root)';
  if (issue.code === 'unrecognized_keys') {
    // Stryker disable next-line OptionalChaining: equivalent, zod always lists the unknown keys
    const n = issue.keys?.length ?? 1;
    return `${where}: ${n} unknown field${n === 1 ? '' : 's'}`;
  }
  return `${where}: ${issue.message}`;
}

/** Reads a policy from a JSON file. */
export function loadPolicyFile(path: string): BudgetPolicy {
  let text: string;
  try {
    // Stryker disable next-line StringLiteral: equivalent, JSON.parse reads a Buffer as UTF-8 text as well
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read budget policy file ${path}`, { cause: (error as Error).message });
  }
  try {
    return parsePolicy(JSON.parse(text));
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`Budget policy file ${path} is not valid JSON`);
  }
}

export function limitsToMicros(limits: Limits): LimitsMicros {
  const m = (v: number | undefined) => (v === undefined ? undefined : usdToMicros(v));
  return {
    perRequest: m(limits.perRequestUsd),
    hourly: m(limits.hourlyUsd),
    daily: m(limits.dailyUsd),
    monthly: m(limits.monthlyUsd),
    total: m(limits.totalUsd),
  };
}

export function signingPolicyOf(policy: BudgetPolicy): SigningPolicy {
  return {
    networks: policy.signing.networks,
    assets: policy.signing.assets,
    payees: policy.signing.payees,
    maxTimeoutSeconds: policy.signing.maxTimeoutSeconds,
    maxAmountMicros: usdToMicros(policy.signing.maxPaymentUsd),
  };
}
