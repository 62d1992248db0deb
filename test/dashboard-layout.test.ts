/**
 * The dashboard as a user meets it in a browser over time (issue 26.11), in headless Chromium: a phone's width, a
 * policy with 50 scope limits, sub-cent limits, tables sorted by spend, contrast (axe-core in the page), assets sent
 * compressed and cacheable, and a page left open across a restart of the dashboard.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { type Dashboard, startDashboard } from '@venice-x402/cli';
import { type Budget, createBudget, memoryStore } from '@venice-x402/core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

function chromiumPath(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return fromEnv;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      const path = execFileSync('which', [name], { encoding: 'utf8' }).trim();
      if (path && existsSync(path)) return path;
    } catch {}
  }
  throw new Error('The dashboard test needs Chromium: apt-get install -y chromium (or set CHROMIUM_PATH)');
}

const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SCOPES = Array.from({ length: 50 }, (_, i) => `agent:${String(i).padStart(2, '0')}-${'worker'.repeat(3)}`);
const T_NOW = Date.now();

let browser: Browser;
let budget: Budget;
let dash: Dashboard;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
  // A global daily limit under a cent, and 50 scopes each with a limit far below the sum of all of them.
  budget = createBudget(
    {
      limits: { dailyUsd: 0.005 },
      scopes: Object.fromEntries(SCOPES.map((s) => [s, { dailyUsd: 0.0001 }])),
      models: { deny: ['banned-*'] },
    },
    { store: memoryStore(), now: () => T_NOW },
  );
  // Scope i spends 20 + i micro-USD: by name the cheapest comes first, by spend the dearest.
  for (const [i, scope] of SCOPES.entries()) {
    const micros = BigInt(20 + i);
    await budget.commit(await budget.reserve({ estimateMicros: micros, scope, model: `model-${i % 3}` }), micros);
  }
  await budget.reserve({ estimateMicros: 1n, model: 'banned-model', scope: SCOPES[7] }).catch(() => {});
  await budget.reserve({ estimateMicros: 90n, scope: SCOPES[3], model: 'model-1' }).catch(() => {});
  dash = await startDashboard({ budget, storeLabel: 'memory', pollMs: 100 });
}, 60_000);

afterAll(async () => {
  await dash?.close();
  await browser?.close();
  await budget?.close();
});

async function openPage(width: number, height: number): Promise<Page> {
  // bypassCSP: axe-core's source goes in as an inline script, which the page's CSP (rightly) refuses.
  const page = await browser.newPage({ viewport: { width, height }, bypassCSP: true });
  await page.goto(dash.url);
  await page.waitForFunction(() => document.body.dataset.snapshotAt !== undefined);
  return page;
}

const text = (page: Page, selector: string) => page.locator(selector).first().textContent();

/** WCAG relative luminance contrast between two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => {
      const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * bl!;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe.each([
  ['a phone', 390, 844],
  ['a desktop', 1440, 1000],
] as const)('on %s (%i px wide)', (_name, width, height) => {
  let page: Page;
  beforeAll(async () => {
    page = await openPage(width, height);
  });
  afterAll(() => page?.close());

  it('does not scroll sideways, and no headline value is cut', async () => {
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
    const cut = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('.card .value, .card .sub, .card .label, header.top .status')]
        .filter((e) => e.scrollWidth > e.clientWidth || e.getBoundingClientRect().right > window.innerWidth)
        .map((e) => `${e.dataset.testid ?? e.className}: ${e.textContent}`),
    );
    expect(cut).toEqual([]);
    expect(await text(page, '[data-testid="tightest-left"]')).toBe('$0.000031 left');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, `dashboard-${width}.png`), fullPage: true });
  });

  it('axe finds no contrast failure and nothing serious or critical', async () => {
    await page.addScriptTag({ content: AXE_SOURCE });
    const violations = await page.evaluate(async () => {
      const result = await (globalThis as any).axe.run(document);
      return result.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    expect(violations.filter((v: any) => /contrast/.test(v.id))).toEqual([]);
    expect(violations.filter((v: any) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
  });

  it('chart colours are at least 3:1 against the panel, and the legend leaves the chart its room', async () => {
    const chart = await page.evaluate(() => {
      const c = (globalThis as any).Chart.getChart('chart');
      return {
        colours: c.data.datasets.map((d: any) => d.backgroundColor ?? d.borderColor),
        area: c.chartArea.bottom - c.chartArea.top,
        height: c.height,
        legendItems: c.legend.legendItems.length,
      };
    });
    for (const colour of chart.colours) expect(contrast(colour, '#ffffff'), colour).toBeGreaterThanOrEqual(3);
    expect(chart.area).toBeGreaterThan(chart.height * 0.55);
  });
});

describe('with 50 scope limits (desktop)', () => {
  let page: Page;
  beforeAll(async () => {
    page = await openPage(1440, 1000);
  });
  afterAll(() => page?.close());

  it('draws only the global limit over the all-scope stack, and shows a $0.005 limit as $0.005 everywhere', async () => {
    await page.click('button[data-period="day"]');
    await page.click('button[data-stack="scope"]');
    const { datasets, area, height } = await page.evaluate(() => {
      const c = (globalThis as any).Chart.getChart('chart');
      return {
        datasets: c.data.datasets.map((d: any) => ({ type: d.type, label: d.label })),
        area: c.chartArea.bottom - c.chartArea.top,
        height: c.height,
      };
    });
    // The legend leaves the chart its room in the view that has the limits (the daily ones).
    expect(area).toBeGreaterThan(height * 0.55);
    expect(datasets.filter((d: any) => d.type === 'line').map((d: any) => d.label)).toEqual([
      'global daily limit $0.005',
    ]);
    // Ten stacks and the rest summed: the legend stays short.
    expect(datasets.filter((d: any) => d.type === 'bar')).toHaveLength(11);
    expect(await text(page, '[data-testid="windows"] tr[data-window="global|daily"] .limit')).toBe('$0.005');
    expect(await text(page, '[data-testid="tightest-name"]')).toMatch(/ daily of \$0\.0001$/);
    expect(await text(page, '[data-testid="chart-note"]')).toMatch(/Scope limits: see Windows\./);
  });

  it('sorts the tables by spend, the largest first', async () => {
    const keys = (table: string, attr: string) =>
      page.$$eval(
        `[data-testid="${table}"] tbody tr`,
        (rows, a) => rows.map((r) => (r as HTMLElement).dataset[a]),
        attr,
      );
    const scopes = await keys('by-scope', 'scope');
    expect(scopes).toEqual(['global', ...[...SCOPES].reverse()]);
    const report = await budget.report({ by: 'model' });
    const bySpend = [...report.rows].sort((a, b) => b.spentUsd - a.spentUsd).map((r) => r.key);
    expect(await keys('by-model', 'model')).toEqual(bySpend);
    // Windows: the nearest their limit first (scope 49 spent 69 of 100 micro-USD).
    expect(await text(page, '[data-testid="windows"] tbody tr td')).toBe(SCOPES[49]);
  });

  it('counts and lists refused calls with their reason, newest first', async () => {
    expect(await text(page, '[data-testid="refused-count"]')).toBe('2');
    const rows = await page.$$eval('[data-testid="refusals"] tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent)),
    );
    expect(rows).toEqual([
      ['daily limit reached', SCOPES[3], 'model-1', '$0.000090'],
      ['model not allowed by the policy', '—', 'banned-model', '$0.000001'],
    ]);
    expect(await text(page, '[data-testid="refused-sub"]')).toBe('latest: daily limit reached');
    // A new refusal shows up without a reload.
    await budget.reserve({ estimateMicros: 1n, model: 'banned-too' }).catch(() => {});
    await page.waitForFunction(() => document.querySelector('[data-testid="refused-count"]')?.textContent === '3');
    expect(await text(page, '[data-testid="refusals"] tbody tr .model')).toBe('banned-too');
  });
});

/** A raw GET (no transparent decompression): status, headers and the bytes as sent. */
function rawGet(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
    (resolve, reject) => {
      request(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    },
  );
}

describe('assets', () => {
  it('go out compressed as the browser accepts, cacheable under a content-hashed URL, and still need the token', async () => {
    const html = (await rawGet(dash.url)).body.toString();
    const paths = [...html.matchAll(/(?:src|href)="(\/assets\/[^"?]+)\?token=/g)].map((m) => m[1]!);
    expect(paths).toHaveLength(3);
    let plain = 0;
    let sent = 0;
    for (const path of paths) {
      expect(path).toMatch(/^\/assets\/[\w.]+\.[0-9a-f]{12}\.(js|css)$/);
      const url = `http://127.0.0.1:${dash.port}${path}?token=${dash.token}`;
      const identity = await rawGet(url);
      expect(identity.headers['content-encoding']).toBeUndefined();
      const br = await rawGet(url, { 'accept-encoding': 'gzip, deflate, br' });
      const gzip = await rawGet(url, { 'accept-encoding': 'gzip' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(brotliDecompressSync(br.body).equals(identity.body)).toBe(true);
      expect(gunzipSync(gzip.body).equals(identity.body)).toBe(true);
      for (const res of [identity, br, gzip]) {
        expect(res.status).toBe(200);
        expect(res.headers['cache-control']).toBe('private, max-age=31536000, immutable');
        expect(res.headers.vary).toBe('accept-encoding');
      }
      plain += identity.body.length;
      sent += br.body.length;
      expect((await rawGet(`http://127.0.0.1:${dash.port}${path}`)).status).toBe(401);
      expect((await rawGet(`http://127.0.0.1:${dash.port}${path}?token=${dash.token}x`)).status).toBe(403);
    }
    expect(sent).toBeLessThan(plain * 0.4);
    console.info(`dashboard assets: ${plain} bytes plain, ${sent} bytes with brotli`);
    // The page and the API stay uncacheable.
    expect((await rawGet(dash.url)).headers['cache-control']).toBe('no-store');
    const snapshot = await rawGet(dash.url.replace('/?', '/api/snapshot?'), { 'accept-encoding': 'gzip' });
    expect(snapshot.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(gunzipSync(snapshot.body).toString()).refused.total).toBeGreaterThanOrEqual(2);
  });
});

describe('a page left open while the dashboard restarts', () => {
  it('says the address changed and what to do, instead of "reconnecting…" forever', async () => {
    const first = await startDashboard({ budget, pollMs: 100 });
    let second: Dashboard | undefined;
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(first.url);
      await page.waitForSelector('[data-testid="live-status"]:text("live")');
      expect(await page.locator('[data-testid="session-ended"]').isVisible()).toBe(false);
      const port = first.port;
      await first.close();
      // The same port, a new token: as `venice-x402 dashboard --port 8790` started again.
      second = await startDashboard({ budget, pollMs: 100, port });
      expect(second.token).not.toBe(first.token);
      await page.waitForSelector('[data-testid="session-ended"]', { state: 'visible', timeout: 15_000 });
      expect(await text(page, '[data-testid="session-ended"]')).toMatch(
        /open the URL that venice-x402 dashboard printed/,
      );
      expect(await text(page, '[data-testid="live-status"]')).toBe('disconnected: reopen the dashboard');
    } finally {
      await page.close();
      await second?.close();
    }
  });
});
