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
import { doctor } from './commands/doctor.js';
import { models } from './commands/models.js';
import { serve } from './commands/serve.js';
import { reconcile, spend } from './commands/spend.js';
import { balance, topup, transactions } from './commands/wallet.js';
import { defaultBaseURL, defaultBudgetFile, type GlobalOptions } from './context.js';
import { EXIT, UsageError } from './output.js';

const HELP = `venice-x402 — pay for Venice inference with a wallet, under a budget

Usage: venice-x402 <command> [options]

Commands
  balance                     wallet balance on Venice
  topup <usd>                 top up through x402 (asks first unless --yes)
  transactions [--all]        CHARGE / TOP_UP / REFUND rows (--limit, --offset)
  spend [--by scope|model|day] the local budget ledger
  reconcile                   compare the ledger with Venice's transactions
  models [--type text|…]      models and prices
  chat "<prompt>"             stream a paid completion (--model, --max-tokens)
  serve                       run the offline simulator (--port, --chain anvil, --mode payg)
  doctor                      check key, network, balance and clock

Options
  --json                      machine-readable output
  --base-url <url>            default VENICE_BASE_URL or https://api.venice.ai/api/v1
  --key-file <path>           wallet key file (default: VENICE_WALLET_KEY; never pass a key on the command line)
  --policy <file.json>        budget policy
  --budget-file <path>        budget ledger (default VENICE_BUDGET_FILE or ~/.venice-x402/budget.jsonl)
  --scope <scope>             budget scope for chat
  --yes                       do not ask for confirmation

Exit codes: 0 ok · 1 error · 2 usage · 3 refused by budget/policy or payment required · 4 auth · 5 network · 6 cancelled`;

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${HELP}\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${HELP}\n`);
    return command || values.help ? EXIT.ok : EXIT.usage;
  }
  const opts: GlobalOptions = {
    json: Boolean(values.json),
    baseURL: (values['base-url'] ?? defaultBaseURL()).replace(/\/+$/, ''),
    keyFile: values['key-file'],
    policy: values.policy,
    budgetFile: values['budget-file'] ?? defaultBudgetFile(),
    scope: values.scope,
    yes: Boolean(values.yes),
  };
  try {
    switch (command) {
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
        });
        return EXIT.ok;
      case 'doctor':
        return await doctor(opts);
      default:
        throw new UsageError(`Unknown command "${command}"`);
    }
  } catch (error) {
    return report(error, opts.json);
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      all: { type: 'boolean' },
      'base-url': { type: 'string' },
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
  const message = (error as Error)?.message ?? String(error);
  if (json) {
    const details = error instanceof X402Error ? { code: error.code, details: error.details } : {};
    process.stdout.write(`${JSON.stringify({ error: message, exitCode: code, ...details })}\n`);
  } else process.stderr.write(`venice-x402: ${message}\n`);
  return code;
}

process.exitCode = await main(process.argv.slice(2));
