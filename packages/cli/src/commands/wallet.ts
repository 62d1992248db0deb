import { createInterface } from 'node:readline/promises';
import type { VeniceTransaction } from '@venice-x402/core';
import { type GlobalOptions, loadBudget, loadWallet } from '../context.js';
import { print, spin, table, UsageError, usd } from '../output.js';

export async function balance(opts: GlobalOptions) {
  const wallet = loadWallet(opts);
  const b = await spin('reading balance', wallet.balance(), !opts.json);
  print(opts.json, { address: wallet.address, ...b }, () =>
    [
      `wallet        ${wallet.address}`,
      `balance       ${usd(b.balanceUsd)}`,
      `can consume   ${b.canConsume ? 'yes' : 'no (top up at least $' + b.minimumTopUpUsd + ')'}`,
      ...(b.diemBalanceUsd !== undefined ? [`DIEM          ${usd(b.diemBalanceUsd)}`] : []),
    ].join('\n'),
  );
}

export async function transactions(opts: GlobalOptions, args: { limit?: string; offset?: string; all?: boolean }) {
  const wallet = loadWallet(opts);
  let rows: VeniceTransaction[];
  let hasMore = false;
  if (args.all) {
    rows = [];
    for await (const tx of wallet.allTransactions()) rows.push(tx);
  } else {
    const page = await wallet.transactions({
      limit: args.limit ? Number(args.limit) : 20,
      offset: args.offset ? Number(args.offset) : undefined,
    });
    rows = page.transactions;
    hasMore = page.hasMore;
  }
  print(
    opts.json,
    { transactions: rows, hasMore },
    () =>
      table(
        rows.map((t) => ({
          when: t.createdAt,
          type: t.type,
          amount: t.amount.toFixed(6),
          balance: t.balanceAfter.toFixed(6),
          model: t.modelId ?? '',
          request: t.requestId ?? '',
        })),
      ) + (hasMore ? '\n… more with --offset or --all' : ''),
  );
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function topup(opts: GlobalOptions, amountArg: string | undefined) {
  const amount = Number(amountArg);
  if (!amountArg || !Number.isFinite(amount)) throw new UsageError('Usage: venice-x402 topup <usd> [--yes]');
  const budget = await loadBudget(opts);
  const { maxAmountMicros: _cap, ...signing } = budget.signingPolicy;
  const wallet = loadWallet(opts).withPolicy(signing, budget.payeePins);
  const quote = await spin('fetching the quote', wallet.topUpQuote(), !opts.json);
  // What will be signed is shown even with --yes (it only skips the question).
  if (!opts.json) {
    process.stderr.write(
      [
        `Top up ${usd(amount, 2)} to Venice (${opts.baseURL})`,
        `  from      ${wallet.address}`,
        `  to        ${quote.payTo}${quote.pinned ? ' (pinned receiver)' : ' (first top-up: this receiver will be pinned)'}`,
        `  token     USDC ${quote.asset} on ${quote.network}`,
        `  minimum   ${usd(quote.minimumUsd, 2)} · authorization valid ${quote.maxTimeoutSeconds} s`,
        '',
      ].join('\n'),
    );
  }
  if (!opts.yes) {
    if (!(await confirm('Sign and send this payment? [y/N] '))) {
      process.stderr.write(process.stdin.isTTY ? 'Cancelled.\n' : 'Not a terminal: pass --yes to confirm.\n');
      await budget.close();
      return 6;
    }
  }
  const result = await spin('settling on-chain', wallet.topUp(amount), !opts.json);
  await budget.close();
  print(opts.json, result, () =>
    [
      `credited      ${usd(result.amountUsd, 2)}`,
      `new balance   ${usd(result.newBalanceUsd)}`,
      `transaction   ${result.transaction ?? '(not reported)'}`,
      `payee         ${result.payTo}`,
    ].join('\n'),
  );
  return 0;
}
