import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type Budget,
  createBudget,
  createWallet,
  DEFAULT_BASE_URL,
  fileStore,
  loadPolicyFile,
  type Wallet,
} from '@venice-x402/core';
import { UsageError } from './output.js';
import { openRedisBudgetStore, redisLocation } from './redis-budget-store.js';

export interface GlobalOptions {
  json: boolean;
  baseURL: string;
  /** Sign-In-With-X domain; undefined signs for the API host. */
  signInDomain?: string;
  keyFile?: string;
  policy?: string;
  budgetFile: string;
  scope?: string;
  yes: boolean;
  /** Budget store on Redis instead of the file (`--redis-url`, default VENICE_REDIS_URL). */
  redisUrl?: string;
  /** Key prefix of the Redis budget (`--redis-prefix`), as the agents' `redisStore({ prefix })`. */
  redisPrefix?: string;
}

/**
 * The wallet key comes from VENICE_WALLET_KEY or --key-file, never from argv (argv is visible to every
 * process on the machine and lands in shell history).
 */
export function loadWallet(opts: GlobalOptions): Wallet {
  let key = process.env.VENICE_WALLET_KEY;
  if (opts.keyFile) {
    try {
      key = readFileSync(opts.keyFile, 'utf8').trim();
    } catch {
      throw new UsageError(`Cannot read the key file ${opts.keyFile}`);
    }
  }
  if (!key) throw new UsageError('No wallet key: set VENICE_WALLET_KEY or pass --key-file <path>');
  const signIn = opts.signInDomain ? { domain: opts.signInDomain } : undefined;
  return createWallet({ privateKey: key }, { baseURL: opts.baseURL, signIn });
}

/** Where `wallet new` writes a key unless `--key-file` says otherwise. */
export function defaultKeyFile(): string {
  return join(homedir(), '.venice-x402', 'wallet.key');
}

export function defaultBudgetFile(): string {
  return process.env.VENICE_BUDGET_FILE ?? join(homedir(), '.venice-x402', 'budget.jsonl');
}

/**
 * The budget shared by every CLI command: the file store (so `spend` sees what `chat` spent), or the agents' Redis
 * store with `--redis-url`. Its `close()` also disconnects Redis.
 */
export async function loadBudget(opts: GlobalOptions): Promise<Budget> {
  const policy = opts.policy ? loadPolicyFile(opts.policy) : {};
  if (opts.redisUrl) {
    const redis = await openRedisBudgetStore(opts.redisUrl, opts.redisPrefix);
    const budget = createBudget(policy, { store: redis.store });
    return {
      ...budget,
      close: async () => {
        await budget.close();
        redis.disconnect();
      },
    };
  }
  mkdirSync(dirname(opts.budgetFile), { recursive: true });
  return createBudget(policy, { store: fileStore(opts.budgetFile) });
}

/** Where the budget lives, for people: the ledger file, or Redis without credentials. */
export function budgetLocation(opts: GlobalOptions): string {
  return opts.redisUrl
    ? `Redis ${redisLocation(opts.redisUrl)} (prefix ${opts.redisPrefix ?? 'venice-x402:budget'})`
    : opts.budgetFile;
}

export function budgetFileExists(opts: GlobalOptions) {
  return existsSync(opts.budgetFile);
}

export const defaultBaseURL = () => process.env.VENICE_BASE_URL ?? DEFAULT_BASE_URL;
