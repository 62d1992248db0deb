import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import {
  AuthError,
  BudgetExceededError,
  NetworkError,
  PaymentRequiredError,
  PolicyDeniedError,
  QuoteRejectedError,
  X402Error,
} from '@venice-x402/core';
import { chat } from './commands/chat.js';
import { dashboard } from './commands/dashboard.js';
import { doctor } from './commands/doctor.js';
import { faucet } from './commands/faucet.js';
import { models } from './commands/models.js';
import { serve } from './commands/serve.js';
import { reconcile, spend } from './commands/spend.js';
import { balance, topup, transactions, walletNew } from './commands/wallet.js';
import { defaultBaseURL, defaultBudgetFile, type GlobalOptions } from './context.js';
import { EXIT, UsageError } from './output.js';
import { disconnectRedisStores, redisUrlHasPassword } from './redis-budget-store.js';

const VERSION: string = createRequire(import.meta.url)('../package.json').version;

const HELP = `venice-x402 — pay for Venice inference with a wallet, under a budget

Usage: venice-x402 <command> [options]

Commands
  wallet new                  create a wallet key (file with mode 600; --print-key prints it instead)
  balance                     wallet balance on Venice
  topup <usd>                 top up through x402 (asks first unless --yes)
  transactions [--all]        CHARGE / TOP_UP / REFUND rows (--limit, --offset)
  spend [--by scope|model|day] the local budget ledger
  dashboard                   live spend dashboard in the browser (--host, --port; token in the URL)
  reconcile                   compare the ledger with Venice's transactions
  models [--type text|…]      models and prices
  chat "<prompt>"             stream a paid completion (--model, --max-tokens)
  serve                       run the offline simulator (--port, --chain anvil, --mode payg, --solana)
  faucet <address> <usd>      test USDC from a running simulator, for a wallet's first top-up
  doctor                      check key, network, balance and clock

 help [command]              this help, or one command's (also: <command> --help)
  version                     the version (also: --version)

Options
  --json                      machine-readable output
  --base-url <url>            default VENICE_BASE_URL or https://api.venice.ai/api/v1
  --sign-in-domain <host>     domain the wallet signs in for (default VENICE_SIGN_IN_DOMAIN or the API host;
                              api.venice.ai when the API is reached through the simulator or a proxy)
  --key-file <path>           wallet key file (default: VENICE_WALLET_KEY; never pass a key on the command line)
  --policy <file.json>        budget policy
  --budget-file <path>        budget ledger (default VENICE_BUDGET_FILE or ~/.venice-x402/budget.jsonl)
  --redis-url <url>           the agents' Redis budget store instead of the file (default VENICE_REDIS_URL;
                              a URL with a password only through VENICE_REDIS_URL)
  --redis-prefix <prefix>     its key prefix, as in redisStore({ prefix }) (default venice-x402:budget)
  --scope <scope>             budget scope for chat
  --yes                       do not ask for confirmation

Exit codes: 0 ok · 1 error · 2 usage · 3 refused by budget/policy or payment required · 4 auth · 5 network · 6 cancelled`;

/** Each command's own help: `venice-x402 <command> --help` or `venice-x402 help <command>`. */
const COMMAND_HELP: Record<string, string> = {
  wallet:
    'venice-x402 wallet new [--key-file <path>] [--print-key] [--json]\n  Creates a wallet key and prints its address. The key goes to --key-file (default ~/.venice-x402/wallet.key),\n  created with mode 600 and never over an existing file; --print-key prints it instead of writing it.',
  balance: 'venice-x402 balance [--json]\n  The wallet balance on Venice (USD, DIEM, whether it can consume).',
  topup:
    'venice-x402 topup <usd> [--yes] [--json]\n  Tops up through x402: shows the quote, asks before signing (--yes skips), prints the tx hash.\n  $5 minimum, $10,000 maximum.',
  transactions:
    'venice-x402 transactions [--limit <n>] [--offset <n>] [--all] [--json]\n  CHARGE / TOP_UP / REFUND rows, newest first.',
  spend: 'venice-x402 spend [--by scope|model|day] [--budget-file <path>] [--json]\n  The local budget ledger.',
  dashboard:
    'venice-x402 dashboard [--host 127.0.0.1] [--port 8790] [--policy <file>] [--budget-file <path> | --redis-url <url>] [--json]\n' +
    '  A live spend dashboard over the same budget store the agents use: spend per hour / day by model and scope\n' +
    '  with the window limits, each window against its limit, holds right now, payments and top-ups with their\n' +
    '  transactions, and (with VENICE_WALLET_KEY or --key-file) the Venice balance and reconcile differences.\n' +
    '  Listens on 127.0.0.1 unless --host says otherwise; every request needs the random token in the printed URL.\n' +
    '  --json prints {"url", …} as one line once it listens. Ctrl-C stops it.',
  reconcile: "venice-x402 reconcile [--budget-file <path>] [--json]\n  Compares the ledger with Venice's transactions.",
  models: 'venice-x402 models [--type text|embedding|image|tts|asr|all] [--json]\n  Models and prices.',
  chat: 'venice-x402 chat "<prompt>" [--model <id>] [--max-tokens <n>] [--policy <file>] [--scope <scope>]\n  Streams a paid completion under the budget.',
  serve:
    'venice-x402 serve [--port <n>] [--chain ledger|anvil] [--mode venice|payg] [--solana] [--no-balance-header] [--json]\n  Runs the offline simulator until Ctrl-C. --solana settles Solana payments on an in-process Solana VM (litesvm).',
  faucet:
    'venice-x402 faucet <0x address> <usd> [--base-url <simulator>] [--json]\n  Test USDC from a running `venice-x402 serve`, so a new wallet can top up.',
  doctor: 'venice-x402 doctor [--json]\n  Checks the key, the network, the balance and the clock.',
};

const CHOICES: Record<string, readonly string[]> = {
  chain: ['ledger', 'anvil'],
  mode: ['venice', 'payg'],
  by: ['scope', 'model', 'day'],
};
const INTEGERS: Record<string, [number, number]> = {
  port: [0, 65535],
  limit: [1, 1000],
  offset: [0, Number.MAX_SAFE_INTEGER],
  'max-tokens': [1, 1_000_000],
};

/** Option values are checked before anything runs: a wrong one is a usage error (exit 2) with a sentence. */
function checkValues(values: Record<string, unknown>) {
  for (const [name, allowed] of Object.entries(CHOICES)) {
    const v = values[name];
    if (v !== undefined && !allowed.includes(String(v)))
      throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got "${String(v).slice(0, 40)}")`);
  }
  for (const [name, [min, max]] of Object.entries(INTEGERS)) {
    const v = values[name];
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${String(v).slice(0, 40)}")`);
  }
}

const KEY_FLAGS = /^--(key|private-key|wallet-key|api-key)(=|$)/;

export async function main(argv: string[]): Promise<number> {
  if (argv.some((a) => KEY_FLAGS.test(a))) {
    process.stderr.write(
      'venice-x402: keys are not accepted on the command line: they would stay in your shell history and be visible to every user in the process list. Set VENICE_WALLET_KEY (or VENICE_API_KEY) in the environment, or pass --key-file <path>.\n',
    );
    return EXIT.usage;
  }
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
    checkValues(parsed.values);
    const redisUrl = parsed.values['redis-url'];
    if (redisUrl !== undefined && redisUrlHasPassword(redisUrl))
      throw new UsageError(
        '--redis-url with a password would stay in your shell history and be visible in the process list: set VENICE_REDIS_URL instead',
      );
  } catch (error) {
    process.stderr.write(`venice-x402: ${(error as Error).message}\nRun venice-x402 --help for usage.\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.version || command === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return EXIT.ok;
  }
  if (command === 'help') {
    const topic = rest[0];
    if (topic && !COMMAND_HELP[topic]) {
      process.stderr.write(`venice-x402: no command "${topic.slice(0, 40)}"\n\n${HELP}\n`);
      return EXIT.usage;
    }
    process.stdout.write(`${topic ? COMMAND_HELP[topic] : HELP}\n`);
    return EXIT.ok;
  }
  if (values.help || !command) {
    process.stdout.write(`${command && COMMAND_HELP[command] ? COMMAND_HELP[command] : HELP}\n`);
    return command || values.help ? EXIT.ok : EXIT.usage;
  }
  const opts: GlobalOptions = {
    json: Boolean(values.json),
    baseURL: (values['base-url'] ?? defaultBaseURL()).replace(/\/+$/, ''),
    signInDomain: values['sign-in-domain'] ?? process.env.VENICE_SIGN_IN_DOMAIN,
    keyFile: values['key-file'],
    policy: values.policy,
    budgetFile: values['budget-file'] ?? defaultBudgetFile(),
    scope: values.scope,
    yes: Boolean(values.yes),
    redisUrl: values['redis-url'] ?? (process.env.VENICE_REDIS_URL || undefined),
    redisPrefix: values['redis-prefix'],
  };
  try {
    switch (command) {
      case 'wallet':
        return await walletNew(opts, rest[0], Boolean(values['print-key']));
      case 'balance':
        await balance(opts);
        return EXIT.ok;
      case 'topup':
        return await topup(opts, rest[0]);
      case 'transactions':
        await transactions(opts, { limit: values.limit, offset: values.offset, all: values.all });
        return EXIT.ok;
      case 'spend':
        await spend(opts, values.by);
        return EXIT.ok;
      case 'reconcile':
        return await reconcile(opts);
      case 'models':
        await models(opts, values.type);
        return EXIT.ok;
      case 'chat':
        await chat(
          opts,
          rest.join(' ') || undefined,
          values.model ?? 'llama-3.3-70b',
          Number(values['max-tokens'] ?? 512),
        );
        return EXIT.ok;
      case 'serve':
        await serve(opts, {
          port: values.port,
          chain: values.chain,
          mode: values.mode,
          'no-balance-header': values['no-balance-header'],
          solana: values.solana,
        });
        return EXIT.ok;
      case 'faucet':
        await faucet(opts, rest[0], rest[1]);
        return EXIT.ok;
      case 'doctor':
        return await doctor(opts);
      case 'dashboard':
        return await dashboard(opts, { host: values.host, port: values.port });
      default:
        throw new UsageError(`Unknown command "${command}"`);
    }
  } catch (error) {
    return report(error, opts.json);
  } finally {
    disconnectRedisStores();
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      json: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      all: { type: 'boolean' },
      'base-url': { type: 'string' },
      'sign-in-domain': { type: 'string' },
      'key-file': { type: 'string' },
      policy: { type: 'string' },
      'budget-file': { type: 'string' },
      scope: { type: 'string' },
      by: { type: 'string' },
      limit: { type: 'string' },
      offset: { type: 'string' },
      type: { type: 'string' },
      model: { type: 'string' },
      'max-tokens': { type: 'string' },
      port: { type: 'string' },
      chain: { type: 'string' },
      mode: { type: 'string' },
      'no-balance-header': { type: 'boolean' },
      host: { type: 'string' },
      'redis-url': { type: 'string' },
      'redis-prefix': { type: 'string' },
      solana: { type: 'boolean' },
      'print-key': { type: 'boolean' },
    },
  });
}

/** Errors become one line on stderr (or a JSON object) and a specific exit code. Keys never appear: our errors carry none. */
function report(error: unknown, json: boolean): number {
  const code =
    error instanceof UsageError
      ? EXIT.usage
      : error instanceof BudgetExceededError ||
          error instanceof PolicyDeniedError ||
          error instanceof QuoteRejectedError ||
          error instanceof PaymentRequiredError
        ? EXIT.refused
        : error instanceof AuthError
          ? EXIT.auth
          : error instanceof NetworkError
            ? EXIT.network
            : EXIT.error;
  let message = (error as Error)?.message ?? String(error);
  // A facilitator's code (invalid_exact_evm_insufficient_balance, …) becomes a sentence a person understands.
  const serverCode = error instanceof X402Error ? String(error.details.serverCode ?? '') : '';
  if (error instanceof X402Error && error.code.startsWith('TOP_UP') && /insufficient/i.test(`${serverCode} ${message}`))
    message =
      'The wallet does not hold enough USDC on Base for this top-up. Send USDC to it first (against `venice-x402 serve`: `venice-x402 faucet <address> <usd>`).';
  if (error instanceof PaymentRequiredError && !(error.details as { limit?: string }).limit)
    message += ' — add funds with `venice-x402 topup <usd>` (see `venice-x402 balance` for the minimum)';
  if (json) {
    const details = error instanceof X402Error ? { code: error.code, details: error.details } : {};
    process.stdout.write(`${JSON.stringify({ error: message, exitCode: code, ...details })}\n`);
  } else process.stderr.write(`venice-x402: ${message}\n`);
  return code;
}

process.exitCode = await main(process.argv.slice(2));
