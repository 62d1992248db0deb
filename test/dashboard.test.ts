/**
 * `venice-x402 dashboard` end to end: real paid calls (Venice mode with an auto top-up, and a pay-per-call
 * gateway) through a file-backed budget, the dashboard server over the same file, and the page in headless
 * Chromium. The numbers on the page must be `budget.report()`'s; a new paid call must show up without a reload;
 * nothing is served without the token. A screenshot lands in test-artifacts/dashboard.png.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { type Dashboard, startDashboard } from '@venice-x402/cli';
import {
  type Budget,
  BudgetExceededError,
  type BudgetPolicyInput,
  createBudget,
  createWallet,
  fileStore,
  redisStore,
  type Wallet,
} from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { type Simulator, startSimulator } from '@venice-x402/simulator';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { type Browser, chromium, type Page } from 'playwright-core';
import { generatePrivateKey } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable, startRedisServer } from '../packages/core/test/helpers/redis-server.js';

const BIN = fileURLToPath(new URL('../packages/cli/bin/venice-x402.js', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const usd = (n: number) => `$${n.toFixed(6)}`;
const usd2 = (n: number) => `$${n.toFixed(2)}`;

/** Chromium from CHROMIUM_PATH or PATH. Missing, the test fails and says how to install it (never skipped). */
function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH is ${fromEnv}, which does not exist`);
    return fromEnv;
  }
  const candidates: string[] = [];
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      candidates.push(execFileSync('which', [name], { encoding: 'utf8' }).trim());
    } catch {}
  }
  const found = candidates.find((c) => c && existsSync(c));
  if (!found)
    throw new Error(
      'The dashboard test needs Chromium: apt-get install -y chromium (or set CHROMIUM_PATH to a Chromium binary)',
    );
  return found;
}

let sim: Simulator;
let gateway: Simulator;
let browser: Browser;
let dir: string;
let ledger: string;
let wallet: Wallet;
let key: `0x${string}`;
let budget: Budget;
let venice: OpenAI;
let policy: BudgetPolicyInput;

/** Chromium starts while the simulators do; a missing one fails the page tests (not the command's). */
let launching: Promise<Browser | Error>;

beforeAll(async () => {
  launching = (async () => chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] }))().catch(
    (error: Error) => error,
  );
  [sim, gateway] = await Promise.all([startSimulator(), startSimulator({ mode: 'payg' })]);
  dir = mkdtempSync(join(tmpdir(), 'vx402-dash-'));
  ledger = join(dir, 'budget.jsonl');
  policy = {
    limits: { hourlyUsd: 0.5, dailyUsd: 2 },
    scopes: { 'team:research': { dailyUsd: 0.25 } },
    topUp: { auto: true, amountUsd: 5 },
    signing: { payees: [gateway.payTo] },
  };
  key = generatePrivateKey();
  wallet = createWallet({ privateKey: key }, { baseURL: sim.baseURL });
  await Promise.all([sim.fund(wallet.address, 20), gateway.fund(wallet.address, 1)]);
  // The agents' budget: the file store, as `venice-x402` opens it.
  budget = createBudget(policy, { store: fileStore(ledger) });
  venice = new OpenAI({
    baseURL: sim.baseURL,
    apiKey: 'unused',
    maxRetries: 0,
    fetch: createX402Fetch({ wallet, budget }),
  });
  const scoped = (scope: string) =>
    new OpenAI({
      baseURL: sim.baseURL,
      apiKey: 'unused',
      maxRetries: 0,
      fetch: createX402Fetch({ wallet, budget, scope }),
    });
  // The first call finds a zero balance: the budget tops up $5 through x402, then pays.
  await venice.chat.completions.create({
    model: 'llama-3.3-70b',
    messages: [{ role: 'user', content: 'hi' }],
    max_tokens: 40,
  });
  await Promise.all([
    scoped('team:research/agent:planner').chat.completions.create({
      model: 'qwen3-4b',
      messages: [{ role: 'user', content: 'plan the week' }],
      max_tokens: 60,
    }),
    scoped('agent:writer').embeddings.create({ model: 'text-embedding-bge-m3', input: ['one', 'two', 'three'] }),
    scoped('agent:writer').chat.completions.create({
      model: 'llama-3.3-70b',
      messages: [{ role: 'user', content: 'write a line' }],
      max_tokens: 30,
    }),
  ]);
  // One pay-per-call payment through an x402 gateway, under the same budget.
  const anthropic = new Anthropic({
    baseURL: gateway.url,
    apiKey: 'unused',
    maxRetries: 0,
    fetch: createX402Fetch({ wallet, budget, mode: 'payg', baseURL: gateway.url, scope: 'agent:writer' }),
  });
  await anthropic.messages.create({
    model: 'claude-haiku-4-5',
    max_tokens: 16,
    messages: [{ role: 'user', content: 'hi' }],
  });
}, 60_000);

afterAll(async () => {
  const launched = await launching;
  if (!(launched instanceof Error)) await launched.close();
  await budget?.close();
  await Promise.all([sim?.stop(), gateway?.stop()]);
});

describe('dashboard page over a file budget (headless Chromium)', () => {
  let dash: Dashboard;
  let viewer: Budget;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    const launched = await launching;
    if (launched instanceof Error) throw launched;
    browser = launched;
    // The dashboard's own budget over the same file: as a separate `venice-x402 dashboard` process would open it.
    viewer = createBudget(policy, { store: fileStore(ledger) });
    const viewerWallet = createWallet({ privateKey: key }, { baseURL: sim.baseURL });
    dash = await startDashboard({ budget: viewer, wallet: viewerWallet, storeLabel: ledger, pollMs: 150 });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(dash.url);
    await page.waitForSelector('[data-testid="live-status"]:text("live")');
    await page.waitForFunction(() => document.body.dataset.snapshotAt !== undefined);
  });
  afterAll(async () => {
    await page?.close();
    await dash?.close();
    await viewer?.close();
  });

  const text = (selector: string) => page.locator(selector).first().textContent();

  it('shows the same totals, per-model and per-scope rows and window use as budget.report()', async () => {
    const byModel = await budget.report({ by: 'model' });
    const byScope = await budget.report({ by: 'scope' });
    expect(byModel.totalUsd).toBeGreaterThan(0);
    expect(await text('[data-testid="total-usd"]')).toBe(usd(byModel.totalUsd));
    const calls = byModel.rows.reduce((n, r) => n + r.calls, 0);
    expect(await text('[data-testid="total-calls"]')).toBe(String(calls));

    expect(byModel.rows.map((r) => r.key).sort()).toEqual(
      ['claude-haiku-4-5', 'llama-3.3-70b', 'qwen3-4b', 'text-embedding-bge-m3'].sort(),
    );
    expect(await page.locator('[data-testid="by-model"] tbody tr').count()).toBe(byModel.rows.length);
    for (const row of byModel.rows) {
      const tr = `[data-testid="by-model"] tr[data-model="${row.key}"]`;
      expect(await text(`${tr} .spent`)).toBe(usd(row.spentUsd));
      expect(await text(`${tr} .calls`)).toBe(String(row.calls));
    }
    expect(await page.locator('[data-testid="by-scope"] tbody tr').count()).toBe(byScope.rows.length);
    for (const row of byScope.rows) {
      const tr = `[data-testid="by-scope"] tr[data-scope="${row.key}"]`;
      expect(await text(`${tr} .spent`)).toBe(usd(row.spentUsd));
      expect(await text(`${tr} .calls`)).toBe(String(row.calls));
    }
    // global hourly + daily, team:research daily: each against its limit.
    expect(byModel.windows.map((w) => `${w.scope}|${w.window}`)).toEqual([
      'global|hourly',
      'global|daily',
      'team:research|daily',
    ]);
    for (const w of byModel.windows) {
      const tr = `[data-testid="windows"] tr[data-window="${w.scope}|${w.window}"]`;
      expect(await text(`${tr} .spent`)).toBe(usd(w.spentUsd));
      expect(await text(`${tr} .held`)).toBe(usd(w.reservedUsd));
      expect(await text(`${tr} .limit`)).toBe(usd2(w.limitUsd));
      expect(await text(`${tr} .left`)).toBe(usd(w.remainingUsd));
    }
  });

  it('lists the auto top-up and the pay-per-call payment with their transactions, and the Venice wallet', async () => {
    const log = await budget.store.payments!();
    expect(log.map((p) => p.kind).sort()).toEqual(['payment', 'topup']);
    for (const p of log) {
      expect(p.tx).toMatch(/^0x[0-9a-f]{64}$/);
      expect(await page.locator(`[data-testid="payments"] tr[data-tx="${p.tx}"]`).count()).toBe(1);
    }
    expect(await text('[data-testid="held-count"]')).toBe('0');
    const balance = await wallet.balance();
    await page.waitForFunction(
      (expected) => document.querySelector('[data-testid="wallet-balance"]')?.textContent === expected,
      usd(balance.balanceUsd),
      { timeout: 5000 },
    );
    expect(await text('[data-testid="wallet-address"]')).toBe(wallet.address);
    // Venice knows every Venice-mode call; the gateway payment is the one request it never charged.
    const facts = page.locator('[data-testid="reconcile-facts"]');
    expect(await facts.locator('[data-fact="matched requests"] b').textContent()).toBe('4');
    expect(await page.locator('[data-testid="reconcile"] tbody tr').count()).toBe(1);
    expect(await text('[data-testid="reconcile"] tbody tr')).toMatch(/not charged by Venice/);
  });

  it('shows what is held right now: a running call’s reservation, then a payment whose outcome is unknown', async () => {
    const waitText = (id: string, expected: string) =>
      page.waitForFunction(
        ([sel, want]) => document.querySelector(`[data-testid="${sel}"]`)?.textContent === want,
        [id, expected] as const,
        { timeout: 5000 },
      );
    const running = await budget.reserve({ estimateMicros: 123_456n, scope: 'team:research', model: 'qwen3-4b' });
    await waitText('held-count', '1');
    expect(await text('[data-testid="held-usd"]')).toBe('$0.123456');
    expect(await text(`[data-testid="holds"] tr[data-hold="${running.id}"]`)).toMatch(/global, team:research/);
    expect(await text('[data-testid="windows"] tr[data-window="team:research|daily"] .held')).toBe('$0.123456');
    await budget.release(running);
    await waitText('held-count', '0');

    const sent = await budget.reserve({ estimateMicros: 2_000n, model: 'claude-haiku-4-5' });
    await budget.markAmbiguous(sent, { requestId: 'req-lost-answer' });
    await waitText('ambiguous-count', '1');
    expect(await text('[data-testid="ambiguous-usd"]')).toBe('$0.002000');
    expect(await text('[data-testid="ambiguous"] tbody tr')).toBe('req-lost-answer$0.002000');
  });

  it('counts and lists a call the agents’ budget refused (read from the file by the dashboard’s own budget)', async () => {
    expect(await text('[data-testid="refused-count"]')).toBe('0');
    const refused = await budget
      .reserve({ estimateMicros: 300_000n, scope: 'team:research/agent:planner', model: 'qwen3-4b' })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(BudgetExceededError);
    await page.waitForFunction(
      () => document.querySelector('[data-testid="refused-count"]')?.textContent === '1',
      null,
      {
        timeout: 5000,
      },
    );
    const cells = await page.$$eval('[data-testid="refusals"] tbody tr td', (tds) => tds.map((td) => td.textContent));
    expect(cells.slice(1)).toEqual(['daily limit reached', 'team:research', 'qwen3-4b', '$0.300000']);
  });

  it('draws spend over time stacked by model and by scope, with the window limits as lines', async () => {
    const chart = () =>
      page.evaluate(() => {
        const c = (globalThis as any).Chart.getChart('chart');
        return c.data.datasets.map((d: any) => ({
          type: d.type,
          label: d.label,
          sum: d.data.reduce((a: number, b: number) => a + b, 0),
        }));
      }) as Promise<{ type: string; label: string; sum: number }[]>;
    const { totalUsd } = await budget.report();
    const hourly = await chart();
    const bars = hourly.filter((d) => d.type === 'bar');
    expect(bars.map((d) => d.label).sort()).toEqual(
      ['claude-haiku-4-5', 'llama-3.3-70b', 'qwen3-4b', 'text-embedding-bge-m3'].sort(),
    );
    expect(bars.reduce((s, d) => s + d.sum, 0)).toBeCloseTo(totalUsd, 9);
    expect(hourly.filter((d) => d.type === 'line').map((d) => d.label)).toEqual(['global hourly limit $0.50']);

    await page.click('button[data-period="day"]');
    await page.click('button[data-stack="scope"]');
    const daily = await chart();
    expect(
      daily
        .filter((d) => d.type === 'bar')
        .map((d) => d.label)
        .sort(),
    ).toEqual(['(no scope)', 'agent:writer', 'team:research / agent:planner']);
    expect(daily.filter((d) => d.type === 'bar').reduce((s, d) => s + d.sum, 0)).toBeCloseTo(totalUsd, 9);
    // Only the global limit over the stack of every scope (team:research's is in the Windows table).
    expect(daily.filter((d) => d.type === 'line').map((d) => d.label)).toEqual(['global daily limit $2.00']);
    await page.click('button[data-period="hour"]');
    await page.click('button[data-stack="model"]');
  });

  it('shows a new paid call without a reload (server-sent events)', async () => {
    await page.evaluate(() => {
      (globalThis as any).__sameDocument = true;
    });
    const before = (await budget.report()).totalUsd;
    await venice.chat.completions.create({
      model: 'venice-uncensored',
      messages: [{ role: 'user', content: 'one more' }],
      max_tokens: 20,
    });
    const after = await budget.report({ by: 'model' });
    expect(after.totalUsd).toBeGreaterThan(before);
    await page.waitForFunction(
      (expected) => document.querySelector('[data-testid="total-usd"]')?.textContent === expected,
      usd(after.totalUsd),
      { timeout: 5000 },
    );
    expect(await page.evaluate(() => (globalThis as any).__sameDocument)).toBe(true);
    const row = after.rows.find((r) => r.key === 'venice-uncensored')!;
    expect(await text('[data-testid="by-model"] tr[data-model="venice-uncensored"] .spent')).toBe(usd(row.spentUsd));

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(problems).toEqual([]); // no script error, no CSP violation
  });

  it('/api/snapshot answers the data the page shows, and never the key', async () => {
    const res = await fetch(`http://127.0.0.1:${dash.port}/api/snapshot?token=${dash.token}`);
    expect(res.status).toBe(200);
    const body = await res.text();
    const snap = JSON.parse(body);
    const report = await budget.report({ by: 'model' });
    expect(snap.totalUsd).toBe(report.totalUsd);
    const bySpend = [...report.rows].sort((a, b) => b.spentUsd - a.spentUsd);
    expect(snap.byModel).toEqual(bySpend.map((r) => ({ key: r.key, spentUsd: r.spentUsd, calls: r.calls })));
    expect(snap.wallet.address).toBe(wallet.address);
    const html = await page.content();
    for (const secret of [key.slice(2), key.slice(2).toUpperCase()]) {
      expect(body).not.toContain(secret);
      expect(html).not.toContain(secret);
    }
  });

  it('answers at once when Venice cannot be reached: the ledger, and the wallet error', async () => {
    const offline = createWallet({ privateKey: key }, { baseURL: 'http://127.0.0.1:9/api/v1' });
    const other = await startDashboard({ budget: viewer, wallet: offline });
    try {
      // No wall-clock bound: the page waits for Venice at most its own 1.5 s; an unbounded wait fails by timeout.
      const res = await fetch(`http://127.0.0.1:${other.port}/api/snapshot?token=${other.token}`);
      const snap = await res.json();
      expect(snap.totalUsd).toBe((await budget.report()).totalUsd);
      expect(snap.wallet.address).toBe(wallet.address);
      expect(snap.wallet.error ?? (snap.wallet.pending && 'pending')).toBeTruthy();
      expect(JSON.stringify(snap)).not.toContain(key.slice(2));
    } finally {
      await other.close();
    }
  });

  it('refuses every route without the token (401) or with a wrong one (403), and leaks nothing', async () => {
    const base = `http://127.0.0.1:${dash.port}`;
    const html = await (await fetch(dash.url)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"?]+)\?token=/g)].map((m) => m[1]!);
    expect(assets).toHaveLength(3);
    const routes = [
      '/',
      '/index.html',
      ...assets,
      '/assets/dashboard.js',
      '/api/snapshot',
      '/api/events',
      '/no-such-route',
    ];
    const wrong = `${dash.token.slice(0, -1)}${dash.token.endsWith('A') ? 'B' : 'A'}`;
    for (const route of routes) {
      for (const [query, status] of [
        ['', 401],
        ['?token=', 401],
        [`?token=${wrong}`, 403],
      ] as const) {
        const res = await fetch(`${base}${route}${query}`, { headers: { accept: 'text/event-stream' } });
        expect(res.status, `${route}${query}`).toBe(status);
        expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
        const body = await res.text();
        expect(body).toBe(status === 401 ? 'Unauthorized\n' : 'Forbidden\n');
      }
    }
    const bearer = await fetch(`${base}/api/snapshot`, { headers: { authorization: `Bearer ${dash.token}` } });
    expect(bearer.status).toBe(200);
    await bearer.body?.cancel();
    // With the token but through a foreign host name (DNS rebinding): refused too.
    const rebound = await new Promise<number>((resolve, reject) => {
      request(`${base}/api/snapshot?token=${dash.token}`, { headers: { host: `evil.example:${dash.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .on('error', reject)
        .end();
    });
    expect(rebound).toBe(403);
  });
});

/** Runs the real binary; `detached` makes it a process group, so the test can stop it and its child. */
function startCli(args: string[], env: Record<string, string | undefined> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, VENICE_WALLET_KEY: undefined, VENICE_BUDGET_FILE: ledger, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    out: () => ({ stdout, stderr }),
    firstLine: () =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const nl = stdout.indexOf('\n');
          if (nl >= 0) resolve(stdout.slice(0, nl));
        };
        child.stdout!.on('data', check);
        check();
        exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
      }),
  };
}

const stopGroup = (child: ChildProcess) => {
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {}
};

async function stopsAnswering(url: string, withinMs = 5000): Promise<boolean> {
  for (const deadline = Date.now() + withinMs; Date.now() < deadline; ) {
    try {
      await (await fetch(url)).body?.cancel();
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 100)); // kept real: the server is the CLI's grandchild, no exit event
  }
  return false;
}

// Each case spawns the real binary (through tsx): they run side by side to keep the file quick.
describe.concurrent('venice-x402 dashboard (the command)', () => {
  it('has its own --help and is listed in the main help', async () => {
    const help = startCli(['dashboard', '--help']);
    const main = startCli(['--help']);
    expect(await help.exited).toBe(0);
    expect(help.out().stdout).toMatch(/^venice-x402 dashboard \[--host 127\.0\.0\.1\] \[--port 8790\]/);
    expect(help.out().stdout).toMatch(/token/);
    expect(await main.exited).toBe(0);
    expect(main.out().stdout).toMatch(/^ {2}dashboard {2,}live spend dashboard/m);
  });

  it('--json prints the URL with its token once it listens, then serves the ledger until stopped', async () => {
    const cli = startCli(['dashboard', '--json', '--port', '0']);
    try {
      const info = JSON.parse(await cli.firstLine());
      expect(info).toMatchObject({ host: '127.0.0.1', store: ledger, wallet: null });
      expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
      const token = new URL(info.url).searchParams.get('token');
      const snap = await (await fetch(`http://127.0.0.1:${info.port}/api/snapshot?token=${token}`)).json();
      expect(snap.totalUsd).toBe((await budget.report()).totalUsd);
      expect((await fetch(`http://127.0.0.1:${info.port}/api/snapshot`)).status).toBe(401);
      const page = await fetch(info.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<canvas id="chart"/);
      stopGroup(cli.child);
      await cli.exited;
      // The bin's child (the server) shuts down on the same SIGTERM: within moments nothing answers.
      expect(await stopsAnswering(`http://127.0.0.1:${info.port}/api/snapshot?token=${token}`)).toBe(true);
    } finally {
      stopGroup(cli.child);
    }
  });

  it('refuses a Redis URL with a password on the command line, without echoing it', async () => {
    const cli = startCli(['dashboard', '--redis-url', 'redis://agent:hunter2secret@127.0.0.1:6399']);
    expect(await cli.exited).toBe(2);
    expect(cli.out().stderr).toMatch(/VENICE_REDIS_URL/);
    expect(cli.out().stdout + cli.out().stderr).not.toContain('hunter2secret');
  });

  it.skipIf(!redisServerAvailable())('--redis-url serves the agents’ Redis budget', async () => {
    const server = await startRedisServer();
    const client = new Redis(server.url);
    const cli = startCli(['dashboard', '--json', '--port', '0', '--redis-url', server.url, '--redis-prefix', 'fleet']);
    try {
      const fleet = createBudget({}, { store: redisStore({ client, prefix: 'fleet' }) });
      await fleet.commit(await fleet.reserve({ estimateMicros: 1234n, model: 'm', scope: 'agent:a' }), 1234n);
      const info = JSON.parse(await cli.firstLine());
      expect(info.store).toBe(`Redis redis://127.0.0.1:${server.port} (prefix fleet)`);
      const snap = await (await fetch(`${info.url.replace('/?', '/api/snapshot?')}`)).json();
      expect(snap.totalUsd).toBe(0.001234);
      expect(snap.byScope.map((r: { key: string }) => r.key)).toEqual(['agent:a', 'global']);
      expect(snap.series.hour.byModel.map((s: { name: string }) => s.name)).toEqual(['m']);
      // `spend` reads the same Redis budget (the URL from the environment this time).
      const spend = startCli(['spend', '--json', '--redis-prefix', 'fleet'], { VENICE_REDIS_URL: server.url });
      expect(await spend.exited).toBe(0);
      expect(JSON.parse(spend.out().stdout).totalUsd).toBe(0.001234);
    } finally {
      stopGroup(cli.child);
      await cli.exited;
      client.disconnect();
      await server.stop();
    }
  });
});
