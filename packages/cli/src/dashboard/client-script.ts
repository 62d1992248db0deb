/**
 * The page script (served as /assets/dashboard.js), plain browser JavaScript with no build step. It loads
 * `/api/snapshot`, then follows `/api/events` (server-sent events) and redraws on every new snapshot. Every value
 * from the store goes in with textContent: model and scope names are data, never markup.
 */
export const DASHBOARD_JS = String.raw`(function () {
  'use strict';
  var token = new URLSearchParams(location.search).get('token') || '';
  var q = '?token=' + encodeURIComponent(token);
  // scale: null until the reader picks one; then the chart goes logarithmic by itself when a limit line would
  // flatten the bars (a $5 daily limit above $0.0003 of spend).
  var state = { period: 'hour', stack: 'model', scale: null };
  var snap = null;
  var chart = null;
  // Each at least 3:1 against the white panel (WCAG non-text contrast), as the bars and legend boxes need.
  var PALETTE = ['#364fc7', '#087f5b', '#b35900', '#c2255c', '#6741d9', '#0b7285', '#5c940d', '#d9480f', '#9c36b5', '#1864ab', '#495057'];
  var LIMIT_COLOR = '#c92a2a';
  // The legend shows at most this much of a name (the tooltip and the tables show all of it).
  var LEGEND_TEXT = 28;

  function $(id) { return document.querySelector('[data-testid="' + id + '"]'); }
  function usd(n) { return '$' + Number(n).toFixed(6); }
  // At least two decimals, and every one a sub-cent amount needs: a $0.005 limit reads $0.005, not $0.01.
  function usd2(n) { return '$' + Number(n).toFixed(6).replace(/(\.\d\d\d*?)0+$/, '$1'); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function cell(text, cls) { return el('td', cls, text); }
  function when(iso) {
    var d = new Date(iso);
    return d.toISOString().slice(5, 16).replace('T', ' ');
  }
  function relative(iso) {
    var s = Math.round((Date.parse(iso) - Date.now()) / 1000);
    if (s <= 0) return 'now';
    if (s < 90) return 'in ' + s + ' s';
    return 'in ' + Math.round(s / 60) + ' min';
  }
  function reasonText(r) {
    if (r.reason === 'model') return 'model not allowed by the policy';
    if (r.reason === 'route') return 'route not allowed by the policy';
    if (r.reason === 'perRequest') return 'over the per-request limit';
    if (r.reason.indexOf('topUp.') === 0) return 'auto top-up refused (' + r.reason + ')' + (r.retryAt ? ', next after ' + when(r.retryAt) : '');
    return r.reason + ' limit reached';
  }
  function shortTx(tx) { return tx && tx.length > 20 ? tx.slice(0, 10) + '…' + tx.slice(-8) : tx || '—'; }
  function setText(id, text) { var e = $(id); if (e) e.textContent = text; }
  function fillBody(table, rows) {
    var body = $(table).querySelector('tbody');
    body.replaceChildren.apply(body, rows);
    return body;
  }
  function meter(fraction, cls) {
    var m = el('div', 'meter' + (cls ? ' ' + cls : ''));
    var bar = el('span', 'spent');
    bar.style.width = Math.max(0, Math.min(100, fraction * 100)).toFixed(2) + '%';
    m.appendChild(bar);
    return m;
  }

  function renderCards(s) {
    setText('store', s.store);
    setText('total-usd', usd(s.totalUsd));
    setText('total-calls', String(s.calls));
    setText('held-usd', usd(s.held.reservedUsd));
    setText('held-count', String(s.held.count));
    setText('ambiguous-usd', usd(s.held.ambiguousUsd));
    setText('ambiguous-count', String(s.held.ambiguous.length));
    setText('held-noun', s.held.count === 1 ? 'reservation' : 'reservations');
    setText('ambiguous-noun', s.held.ambiguous.length === 1 ? 'payment' : 'payments');
    if (s.refused) {
      setText('refused-count', String(s.refused.total));
      var lastRefusal = s.refused.latest[0];
      setText('refused-sub', lastRefusal ? 'latest: ' + reasonText(lastRefusal) : 'calls the budget refused');
    } else {
      setText('refused-sub', 'this store keeps no refusal log');
    }
    var tight = null;
    s.windows.forEach(function (w) { if (!tight || w.remainingUsd < tight.remainingUsd) tight = w; });
    if (tight) {
      setText('tightest-left', usd(tight.remainingUsd) + ' left');
      setText('tightest-name', tight.scope + ' ' + tight.window + ' of ' + usd2(tight.limitUsd));
    }
    if (s.wallet) {
      setText('wallet-balance', s.wallet.pending ? 'checking…' : s.wallet.balanceUsd === undefined ? 'unavailable' : usd(s.wallet.balanceUsd));
      setText('wallet-address', s.wallet.address);
    }
    setText('updated-at', 'updated ' + new Date(s.at).toLocaleTimeString());
  }

  function renderWindows(s) {
    var rows = s.windows.map(function (w) {
      var tr = el('tr');
      tr.dataset.window = w.scope + '|' + w.window;
      tr.appendChild(cell(w.scope));
      tr.appendChild(cell(w.window));
      tr.appendChild(cell(usd(w.spentUsd), 'num spent'));
      tr.appendChild(cell(usd(w.reservedUsd), 'num held'));
      tr.appendChild(cell(usd2(w.limitUsd), 'num limit'));
      tr.appendChild(cell(usd(w.remainingUsd), 'num left'));
      var use = (w.spentUsd + w.reservedUsd) / (w.limitUsd || 1);
      var td = el('td');
      var wrap = el('div', 'meter-cell');
      var m = meter(w.usedFraction, use >= 1 ? 'bad' : use >= 0.8 ? 'warn' : '');
      var held = el('span', 'held');
      held.style.left = Math.min(100, w.usedFraction * 100).toFixed(2) + '%';
      held.style.width = Math.max(0, Math.min(100 - w.usedFraction * 100, (w.reservedUsd / (w.limitUsd || 1)) * 100)).toFixed(2) + '%';
      m.appendChild(held);
      wrap.appendChild(m);
      wrap.appendChild(el('span', 'pct', (w.usedFraction * 100).toFixed(1) + '%'));
      td.appendChild(wrap);
      tr.appendChild(td);
      return tr;
    });
    fillBody('windows', rows);
    $('windows-empty').hidden = rows.length > 0;
  }

  function renderSpend(table, attr, list, total) {
    fillBody(table, list.map(function (r) {
      var tr = el('tr');
      tr.dataset[attr] = r.key;
      tr.appendChild(cell(r.key, 'key'));
      tr.appendChild(cell(usd(r.spentUsd), 'num spent'));
      tr.appendChild(cell(String(r.calls), 'num calls'));
      var td = el('td');
      td.appendChild(meter(total > 0 ? r.spentUsd / total : 0, 'share'));
      tr.appendChild(td);
      return tr;
    }));
  }

  function renderHeld(s) {
    fillBody('holds', s.held.reservations.map(function (h) {
      var tr = el('tr');
      tr.dataset.hold = h.id;
      tr.appendChild(cell(h.id, 'mono'));
      tr.appendChild(cell(h.scopes.length ? h.scopes.join(', ') : '—'));
      tr.appendChild(cell(usd(h.usd), 'num'));
      tr.appendChild(cell(relative(h.expiresAt)));
      return tr;
    }));
    $('holds-empty').hidden = s.held.reservations.length > 0;
    fillBody('ambiguous', s.held.ambiguous.map(function (a) {
      var tr = el('tr');
      tr.appendChild(cell(a.requestId, 'mono'));
      tr.appendChild(cell(usd(a.usd), 'num'));
      return tr;
    }));
    $('ambiguous-empty').hidden = s.held.ambiguous.length > 0;
  }

  function renderPayments(s) {
    fillBody('payments', s.payments.map(function (p) {
      var tr = el('tr');
      if (p.tx) tr.dataset.tx = p.tx;
      tr.appendChild(cell(when(p.at), 'nowrap'));
      var kind = el('td');
      kind.appendChild(el('span', 'badge ' + p.kind, p.kind === 'topup' ? 'top-up' : 'pay-per-call'));
      tr.appendChild(kind);
      tr.appendChild(cell(usd(p.usd), 'num'));
      var tx = cell(shortTx(p.tx), 'tx');
      if (p.tx) tx.title = p.tx;
      tr.appendChild(tx);
      var what = [p.model, p.scopes && p.scopes.slice(1).join(' / ')].filter(Boolean).join(' · ');
      tr.appendChild(cell(what || '—'));
      return tr;
    }));
    $('payments-empty').hidden = s.payments.length > 0;
  }

  function renderRefusals(s) {
    var latest = s.refused ? s.refused.latest : [];
    fillBody('refusals', latest.map(function (r) {
      var tr = el('tr');
      tr.dataset.reason = r.reason;
      tr.appendChild(cell(when(r.at), 'nowrap'));
      var why = el('td');
      why.appendChild(el('span', 'badge refused', reasonText(r)));
      tr.appendChild(why);
      tr.appendChild(cell(r.scope || '—', 'scope'));
      tr.appendChild(cell(r.model || '—', 'model'));
      tr.appendChild(cell(r.estimateUsd === undefined ? '—' : usd(r.estimateUsd), 'num'));
      return tr;
    }));
    $('refusals-empty').hidden = latest.length > 0;
    if (!s.refused) $('refusals-empty').textContent = 'This budget store keeps no refusal log.';
  }

  function renderWallet(s) {
    var w = s.wallet;
    $('wallet-panel').hidden = !w;
    if (!w) return;
    setText('wallet-checked', w.checkedAt ? 'checked ' + new Date(w.checkedAt).toLocaleTimeString() : 'asking Venice…');
    var err = $('wallet-error');
    err.hidden = !w.error;
    err.textContent = w.error || '';
    var facts = $('reconcile-facts');
    var items = [['address', w.address]];
    if (w.balanceUsd !== undefined) items.push(['balance', usd(w.balanceUsd) + (w.canConsume ? '' : ' (cannot consume)')]);
    var r = w.reconcile;
    if (r) {
      items.push(['matched requests', String(r.matched)]);
      items.push(['ledger total', usd(r.ledgerTotalUsd)]);
      items.push(['Venice charges', usd(r.veniceChargedUsd)]);
      items.push(['Venice top-ups', usd2(r.veniceTopUpsUsd)]);
      items.push(['differences', String(r.differenceCount)]);
    }
    facts.replaceChildren.apply(facts, items.map(function (kv) {
      var d = el('div', null, kv[0]);
      d.dataset.fact = kv[0];
      d.appendChild(el('b', kv[0] === 'address' ? 'mono' : null, kv[1]));
      return d;
    }));
    var diffs = r ? r.differences : [];
    fillBody('reconcile', diffs.map(function (d) {
      var tr = el('tr');
      tr.appendChild(cell(d.requestId + (d.ambiguous ? ' (ambiguous)' : ''), 'mono'));
      tr.appendChild(cell(d.kind));
      tr.appendChild(cell(usd(d.ledgerUsd), 'num'));
      tr.appendChild(cell(usd(d.veniceUsd), 'num'));
      return tr;
    }));
    $('reconcile-empty').hidden = !r || diffs.length > 0;
    var tops = w.topUps || [];
    fillBody('venice-topups', tops.map(function (t) {
      var tr = el('tr');
      tr.appendChild(cell(when(t.at), 'nowrap'));
      tr.appendChild(cell(usd2(t.usd), 'num'));
      tr.appendChild(cell(t.id, 'mono'));
      return tr;
    }));
    $('venice-topups-empty').hidden = tops.length > 0;
  }

  // On a log axis only the powers of ten are labelled: the rest are gridlines.
  function axisLabel(v) {
    v = Number(v);
    if (chart && chart.options.scales.y.type === 'logarithmic' && v > 0) {
      var mantissa = v / Math.pow(10, Math.floor(Math.log10(v) + 1e-9));
      if (Math.abs(mantissa - 1) > 1e-6) return '';
    }
    return '$' + String(+v.toPrecision(3));
  }

  function label(key) {
    return state.period === 'hour' ? key.slice(5, 10) + ' ' + key.slice(11, 13) + ':00' : key.slice(5);
  }

  function renderChart(s) {
    var note = $('chart-note');
    if (!s.series) {
      note.textContent = 'This budget store keeps no hourly series.';
      return;
    }
    var view = s.series[state.period];
    var stacks = state.stack === 'model' ? view.byModel : view.byScope;
    var datasets = stacks.map(function (st, i) {
      return {
        type: 'bar', label: st.name, data: st.usd, stack: 'spend', order: 2,
        backgroundColor: PALETTE[i % PALETTE.length], borderRadius: 2, maxBarThickness: 36,
      };
    });
    // Only the global limit: the stack is every scope's spend, so a scope's limit drawn over it would look breached.
    view.limits.forEach(function (l, i) {
      datasets.push({
        type: 'line', label: l.scope + ' ' + l.window + ' limit ' + usd2(l.limitUsd),
        data: view.labels.map(function () { return l.limitUsd; }), stack: 'limit' + i, order: 1,
        borderColor: LIMIT_COLOR, borderDash: [6, 4], borderWidth: 2,
        pointRadius: 0, fill: false,
      });
    });
    var labels = view.labels.map(label);
    var spent = stacks.reduce(function (sum, st) { return sum + st.usd.reduce(function (a, b) { return a + b; }, 0); }, 0);
    note.textContent = (stacks.length ? usd(spent) + ' in the last ' + view.labels.length + (state.period === 'hour' ? ' hours' : ' days') : 'No spend in this period yet.') +
      (view.limits.length ? '' : ' No global ' + (state.period === 'hour' ? 'hourly' : 'daily') + ' limit in the policy.') +
      (snap && snap.windows.some(function (w) { return w.scope !== 'global'; }) ? ' Scope limits: see Windows.' : '') +
      (state.stack === 'scope' ? ' Stacked by each call\u2019s whole scope chain.' : '');
    var peak = 0;
    view.labels.forEach(function (_, i) {
      var sum = stacks.reduce(function (a, st) { return a + st.usd[i]; }, 0);
      if (sum > peak) peak = sum;
    });
    var topLimit = view.limits.reduce(function (a, l) { return Math.max(a, l.limitUsd); }, 0);
    var scale = state.scale || (peak > 0 && topLimit > 20 * peak ? 'logarithmic' : 'linear');
    document.querySelectorAll('button[data-scale]').forEach(function (o) { o.setAttribute('aria-pressed', String(o.dataset.scale === scale)); });
    if (typeof Chart === 'undefined') return;
    if (!chart) {
      chart = new Chart(document.getElementById('chart'), {
        type: 'bar',
        data: { labels: labels, datasets: datasets },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          interaction: { mode: 'index', intersect: false },
          scales: {
            x: { stacked: true, grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
            y: { stacked: true, type: scale, beginAtZero: true, ticks: { callback: axisLabel } },
          },
          plugins: {
            // Capped: with many stacks the legend never takes more than a third of the chart.
            legend: { position: 'bottom', maxHeight: 96, labels: { boxWidth: 12, boxHeight: 12, generateLabels: legendLabels } },
            tooltip: { callbacks: { label: function (c) { return c.dataset.label + ': ' + usd(c.parsed.y); } } },
          },
        },
      });
    } else {
      chart.data.labels = labels;
      chart.data.datasets = datasets;
      chart.options.scales.y.type = scale;
      chart.update('none');
    }
  }

  function legendLabels(c) {
    return Chart.defaults.plugins.legend.labels.generateLabels(c).map(function (l) {
      if (l.text.length > LEGEND_TEXT) l.text = l.text.slice(0, LEGEND_TEXT - 1) + '…';
      return l;
    });
  }

  function render(s) {
    snap = s;
    renderCards(s);
    renderWindows(s);
    renderSpend('by-model', 'model', s.byModel, s.totalUsd);
    var globalRow = s.byScope.filter(function (r) { return r.key === 'global'; })[0];
    renderSpend('by-scope', 'scope', s.byScope, globalRow ? globalRow.spentUsd : s.totalUsd);
    renderHeld(s);
    renderPayments(s);
    renderRefusals(s);
    renderWallet(s);
    renderChart(s);
    document.body.dataset.snapshotAt = s.at;
  }

  document.querySelectorAll('.seg button').forEach(function (b) {
    b.addEventListener('click', function () {
      var key = b.dataset.period ? 'period' : b.dataset.stack ? 'stack' : 'scale';
      state[key] = b.dataset[key];
      b.parentNode.querySelectorAll('button').forEach(function (o) { o.setAttribute('aria-pressed', String(o === b)); });
      if (snap) renderChart(snap);
    });
  });

  function live(ok, text) {
    $('live-dot').className = 'dot ' + (ok ? 'live' : 'down');
    setText('live-status', text);
  }

  // The token is new on every start of the dashboard: after a restart this page's token is refused (401/403),
  // which EventSource reports as a bare error and never retries. Ask once in plain HTTP, and say what to do.
  var events = null;
  var ended = false;
  var downSince = 0;
  function sessionEnded() {
    ended = true;
    if (events) events.close();
    live(false, 'disconnected: reopen the dashboard');
    $('session-ended').hidden = false;
  }
  function refusedToken(status) { return status === 401 || status === 403; }
  function stillDown() {
    if (!downSince) downSince = Date.now();
    var minutes = Math.floor((Date.now() - downSince) / 60000);
    live(false, minutes < 1 ? 'reconnecting…' : 'not answering for ' + minutes + ' min: if you restarted it, open its new URL');
  }
  function checkAccess() {
    fetch('/api/snapshot' + q, { cache: 'no-store' }).then(function (r) {
      if (refusedToken(r.status)) return sessionEnded();
      if (r.body) r.body.cancel();
      stillDown();
      setTimeout(follow, 2000);
    }, function () {
      stillDown();
      setTimeout(checkAccess, 2000);
    });
  }
  function follow() {
    if (ended) return;
    events = new EventSource('/api/events' + q);
    events.addEventListener('snapshot', function (e) { downSince = 0; live(true, 'live'); render(JSON.parse(e.data)); });
    events.addEventListener('store-error', function (e) { live(false, 'store unavailable: ' + JSON.parse(e.data).error); });
    events.onopen = function () { downSince = 0; live(true, 'live'); };
    events.onerror = function () {
      if (events.readyState === EventSource.CLOSED) checkAccess();
      else stillDown();
    };
  }

  fetch('/api/snapshot' + q, { cache: 'no-store' })
    .then(function (r) {
      if (refusedToken(r.status)) { sessionEnded(); return null; }
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.json();
    })
    .then(function (s) { if (s) render(s); })
    .catch(function (e) { live(false, 'cannot load: ' + e.message); });
  follow();
})();
`;
