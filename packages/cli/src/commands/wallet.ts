import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { createWallet, type VeniceTransaction } from '@venice-x402/core';
import { generatePrivateKey } from 'viem/accounts';
import { defaultKeyFile, type GlobalOptions, loadBudget, loadWallet } from '../context.js';
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

/**
 * `wallet new`: a fresh EVM key. Written to `--key-file` (default ~/.venice-x402/wallet.key) with mode 0600 and
 * never over an existing file; printed only with `--print-key`. Either way the address is printed.
 */
export async function walletNew(opts: GlobalOptions, subcommand: string | undefined, printKey: boolean) {
  if (subcommand !== 'new') throw new UsageError('Usage: venice-x402 wallet new [--key-file <path>] [--print-key]');
  const privateKey = generatePrivateKey(); // viem: uniform in [1, N) from the platform's CSPRNG
  const { address } = createWallet({ privateKey });
  if (printKey) {
    if (!opts.json) process.stderr.write('The key below is the wallet: anyone who sees it can spend its funds.\n');
    print(opts.json, { address, privateKey }, () => `address       ${address}\nprivate key   ${privateKey}`);
    return 0;
  }
  const keyFile = resolve(opts.keyFile ?? defaultKeyFile());
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  try {
    // 'wx': never replace a key that may hold funds; the mode applies as the file is created.
    writeFileSync(keyFile, `${privateKey}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST')
      throw new UsageError(`${keyFile} already exists: a key file is never overwritten (choose another --key-file)`);
    throw error;
  }
  print(opts.json, { address, keyFile }, () =>
    [
      `address       ${address}`,
      `key file      ${keyFile} (mode 600)`,
      '',
      `Send USDC on Base to the address, then: venice-x402 topup 5 --key-file ${keyFile}`,
    ].join('\n'),
  );
  return 0;
}
