import { joinUrl } from '@venice-x402/core/internal';
import { type GlobalOptions, loadWallet } from '../context.js';
import { print, table, usd } from '../output.js';

interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

/** Key, network, balance and clock: what usually breaks first. */
export async function doctor(opts: GlobalOptions) {
  const checks: Check[] = [];
  let wallet: ReturnType<typeof loadWallet> | undefined;
  try {
    wallet = loadWallet(opts);
    checks.push({ check: 'wallet key', ok: true, detail: wallet.address });
  } catch (error) {
    checks.push({ check: 'wallet key', ok: false, detail: (error as Error).message });
  }
  const started = Date.now();
  try {
    const res = await fetch(joinUrl(opts.baseURL, 'models'));
    const rtt = Date.now() - started;
    checks.push({ check: 'network', ok: res.ok, detail: `${opts.baseURL} answered ${res.status} in ${rtt} ms` });
    const date = res.headers.get('date');
    if (date) {
      const skew = Math.round((Date.parse(date) - (started + rtt / 2)) / 1000);
      checks.push({
        check: 'clock skew',
        ok: Math.abs(skew) < 25,
        detail: `${skew >= 0 ? '+' : ''}${skew} s (Sign-In-With-X allows 30 s)`,
      });
    }
  } catch (error) {
    checks.push({ check: 'network', ok: false, detail: (error as Error).message });
  }
  if (wallet) {
    try {
      const b = await wallet.balance();
      checks.push({
        check: 'balance',
        ok: b.canConsume,
        detail: `${usd(b.balanceUsd)}${b.canConsume ? '' : ' — below $0.10: top up'}`,
      });
    } catch (error) {
      checks.push({ check: 'balance', ok: false, detail: (error as Error).message });
    }
  }
  print(opts.json, { ok: checks.every((c) => c.ok), checks }, () =>
    table(checks.map((c) => ({ check: c.check, status: c.ok ? 'ok' : 'FAIL', detail: c.detail }))),
  );
  return checks.every((c) => c.ok) ? 0 : 1;
}
