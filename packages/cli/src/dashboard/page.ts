import type { DashboardAssets } from './assets.js';

/**
 * The dashboard's HTML: a static shell the page script fills from `/api/snapshot` and keeps current from
 * `/api/events`. Every asset URL carries the token (the server refuses anything without it).
 */
export function renderPage(token: string, assets: Pick<DashboardAssets, 'js' | 'css' | 'chart'>): string {
  const t = encodeURIComponent(token);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>venice-x402 · spend</title>
<link rel="stylesheet" href="${assets.css.path}?token=${t}">
</head>
<body>
<header class="top">
  <div class="brand"><span class="mark" aria-hidden="true"></span>venice-x402 <span class="muted">spend</span></div>
  <div class="where" data-testid="store" title="budget store"></div>
  <div class="status"><span class="dot" data-testid="live-dot"></span><span data-testid="live-status">connecting…</span><span class="muted" data-testid="updated-at"></span></div>
</header>
<div class="banner" role="alert" data-testid="session-ended" hidden><b>This page lost its dashboard.</b> The dashboard was restarted or stopped, and every start has a new address (its token): open the URL that <code>venice-x402 dashboard</code> printed when it started.</div>
<main>
  <section class="cards">
    <div class="card"><div class="label">Spent</div><div class="value" data-testid="total-usd">—</div><div class="sub"><span data-testid="total-calls">0</span> calls, all time</div></div>
    <div class="card"><div class="label">Tightest window</div><div class="value" data-testid="tightest-left">—</div><div class="sub" data-testid="tightest-name">no limits in the policy</div></div>
    <div class="card"><div class="label">Held right now</div><div class="value" data-testid="held-usd">—</div><div class="sub"><span data-testid="held-count">0</span> <span data-testid="held-noun">reservations</span> open</div></div>
    <div class="card"><div class="label">Ambiguous</div><div class="value" data-testid="ambiguous-usd">—</div><div class="sub"><span data-testid="ambiguous-count">0</span> <span data-testid="ambiguous-noun">payments</span> awaiting reconcile</div></div>
    <div class="card"><div class="label">Refused</div><div class="value" data-testid="refused-count">—</div><div class="sub" data-testid="refused-sub">calls the budget refused</div></div>
    <div class="card"><div class="label">Venice balance</div><div class="value" data-testid="wallet-balance">—</div><div class="sub" data-testid="wallet-address">no wallet key: balance and reconcile off</div></div>
  </section>

  <section class="panel">
    <div class="panel-head">
      <h2>Spend over time <span class="muted small">UTC</span></h2>
      <div class="toggles">
        <div class="seg" role="group" aria-label="period"><button type="button" data-period="hour" aria-pressed="true">Hour</button><button type="button" data-period="day" aria-pressed="false">Day</button></div>
        <div class="seg" role="group" aria-label="stacked by"><button type="button" data-stack="model" aria-pressed="true">By model</button><button type="button" data-stack="scope" aria-pressed="false">By scope</button></div>
        <div class="seg" role="group" aria-label="scale"><button type="button" data-scale="linear" aria-pressed="false">Linear</button><button type="button" data-scale="logarithmic" aria-pressed="false">Log</button></div>
      </div>
    </div>
    <div class="chart-box"><canvas id="chart" role="img" aria-label="spend over time, stacked"></canvas></div>
    <p class="note" data-testid="chart-note"></p>
  </section>

  <section class="panel">
    <h2>Windows <span class="muted small">use against each limit of the policy</span></h2>
    <div class="table-wrap" tabindex="0" role="region" aria-label="windows table"><table class="wide" data-testid="windows"><thead><tr><th>scope</th><th>window</th><th class="num">spent</th><th class="num">held</th><th class="num">limit</th><th class="num">left</th><th class="meter-col">use</th></tr></thead><tbody></tbody></table></div>
    <p class="empty" data-testid="windows-empty" hidden>No window limits in the policy (pass --policy).</p>
  </section>

  <div class="grid2">
    <section class="panel">
      <h2>By model</h2>
      <div class="table-wrap" tabindex="0" role="region" aria-label="by model table"><table data-testid="by-model"><thead><tr><th>model</th><th class="num">spent</th><th class="num">calls</th><th class="share-col">share</th></tr></thead><tbody></tbody></table></div>
    </section>
    <section class="panel">
      <h2>By scope <span class="muted small">a call counts in every scope of its chain</span></h2>
      <div class="table-wrap" tabindex="0" role="region" aria-label="by scope table"><table data-testid="by-scope"><thead><tr><th>scope</th><th class="num">spent</th><th class="num">calls</th><th class="share-col">share</th></tr></thead><tbody></tbody></table></div>
    </section>
  </div>

  <div class="grid2">
    <section class="panel">
      <h2>Held right now</h2>
      <div class="table-wrap" tabindex="0" role="region" aria-label="holds table"><table data-testid="holds"><thead><tr><th>reservation</th><th>scopes</th><th class="num">held</th><th>expires</th></tr></thead><tbody></tbody></table></div>
      <p class="empty" data-testid="holds-empty">Nothing held: no call is running.</p>
      <h3>Ambiguous payments</h3>
      <div class="table-wrap" tabindex="0" role="region" aria-label="ambiguous table"><table data-testid="ambiguous"><thead><tr><th>request</th><th class="num">counted</th></tr></thead><tbody></tbody></table></div>
      <p class="empty" data-testid="ambiguous-empty">None: every payment has a known outcome.</p>
    </section>
    <section class="panel">
      <h2>Payments and top-ups</h2>
      <div class="table-wrap" tabindex="0" role="region" aria-label="payments table"><table class="wide" data-testid="payments"><thead><tr><th>when</th><th>kind</th><th class="num">amount</th><th>transaction</th><th>model · scope</th></tr></thead><tbody></tbody></table></div>
      <p class="empty" data-testid="payments-empty">No pay-per-call payment or top-up recorded yet.</p>
    </section>
  </div>

  <section class="panel">
    <h2>Refused calls <span class="muted small">refused by the budget before anything was sent or paid; the latest first</span></h2>
    <div class="table-wrap" tabindex="0" role="region" aria-label="refused calls table"><table class="wide" data-testid="refusals"><thead><tr><th>when</th><th>why</th><th>scope</th><th>model</th><th class="num">would hold</th></tr></thead><tbody></tbody></table></div>
    <p class="empty" data-testid="refusals-empty">No call refused.</p>
  </section>

  <section class="panel" data-testid="wallet-panel" hidden>
    <h2>Venice wallet <span class="muted small" data-testid="wallet-checked"></span></h2>
    <div class="facts" data-testid="reconcile-facts"></div>
    <p class="error" data-testid="wallet-error" hidden></p>
    <div class="grid2">
      <div>
        <h3>Reconcile differences</h3>
        <div class="table-wrap" tabindex="0" role="region" aria-label="reconcile table"><table class="wide" data-testid="reconcile"><thead><tr><th>request</th><th>difference</th><th class="num">ledger</th><th class="num">Venice</th></tr></thead><tbody></tbody></table></div>
        <p class="empty" data-testid="reconcile-empty">The ledger and Venice agree.</p>
      </div>
      <div>
        <h3>Top-ups on Venice</h3>
        <div class="table-wrap" tabindex="0" role="region" aria-label="venice topups table"><table data-testid="venice-topups"><thead><tr><th>when</th><th class="num">amount</th><th>Venice id</th></tr></thead><tbody></tbody></table></div>
        <p class="empty" data-testid="venice-topups-empty">None in Venice's latest transactions.</p>
      </div>
    </div>
  </section>
</main>
<footer class="muted small">Served by <code>venice-x402 dashboard</code>. Read-only: nothing here spends or signs. Anyone with this page's URL can read it: keep the token to yourself.</footer>
<script src="${assets.chart.path}?token=${t}"></script>
<script src="${assets.js.path}?token=${t}"></script>
</body>
</html>
`;
}
