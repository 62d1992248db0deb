/** The dashboard's stylesheet (served as /assets/dashboard.css: the page allows no inline style). */
export const DASHBOARD_CSS = `
:root {
  --bg: #f5f6f8; --panel: #ffffff; --ink: #18202a; --muted: #5a626d; --line: #e4e7ec;
  --accent: #3b5bdb; --ok: #2f9e44; --warn: #f08c00; --bad: #c92a2a;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.muted { color: var(--muted); }
.small { font-size: 12px; font-weight: 400; }
header.top {
  display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px; padding: 14px 28px; background: #111827; color: #f3f4f6;
}
.brand { font-weight: 650; font-size: 16px; letter-spacing: .2px; display: flex; align-items: center; gap: 8px; }
.brand .muted { color: #9ca3af; font-weight: 400; }
.mark { width: 14px; height: 14px; border-radius: 3px; background: linear-gradient(135deg, #748ffc, #3bc9db); display: inline-block; }
.where { color: #9ca3af; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; flex: 1; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.status { display: flex; align-items: center; gap: 8px; font-size: 13px; }
.status .muted { color: #9ca3af; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: #6b7280; display: inline-block; }
.dot.live { background: #40c057; box-shadow: 0 0 0 3px rgba(64,192,87,.25); }
.dot.down { background: var(--bad); }
main { padding: 20px 28px 8px; display: flex; flex-direction: column; gap: 18px; max-width: 1500px; margin: 0 auto; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(200px, 1fr)); gap: 14px; }
.card, .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; }
.card { padding: 14px 16px; min-width: 0; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .5px; }
.card .value { font-size: 24px; font-weight: 650; margin: 4px 0 2px; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.card .sub { color: var(--muted); font-size: 12.5px; overflow-wrap: anywhere; }
.panel { padding: 16px 18px; min-width: 0; }
.panel h2 { font-size: 15px; margin: 0 0 12px; font-weight: 650; }
.panel h3 { font-size: 13px; margin: 16px 0 8px; font-weight: 600; color: #394150; }
.panel-head { display: flex; justify-content: space-between; align-items: center; gap: 12px; flex-wrap: wrap; margin-bottom: 8px; }
.panel-head h2 { margin: 0; }
.toggles { display: flex; gap: 10px; flex-wrap: wrap; }
.seg { display: inline-flex; border: 1px solid var(--line); border-radius: 7px; overflow: hidden; }
.seg button { border: 0; background: #fff; padding: 5px 12px; font: inherit; font-size: 13px; color: var(--muted); cursor: pointer; }
.seg button + button { border-left: 1px solid var(--line); }
.seg button[aria-pressed="true"] { background: #edf2ff; color: var(--accent); font-weight: 600; }
.chart-box { position: relative; height: 340px; }
.note { color: var(--muted); font-size: 12.5px; margin: 8px 0 0; min-height: 1em; }
.grid2 { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 18px; }
.table-wrap { overflow-x: auto; }
.banner { margin: 16px 28px 0; padding: 12px 16px; border-radius: 10px; background: #fff5f5; border: 1px solid #ffc9c9; color: #7d1d1d; }
.banner[hidden] { display: none; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .4px; padding: 6px 8px; border-bottom: 1px solid var(--line); }
td { padding: 7px 8px; border-bottom: 1px solid #f0f2f5; vertical-align: middle; overflow-wrap: anywhere; }
tr:last-child td { border-bottom: 0; }
.num { text-align: right; white-space: nowrap; }
.meter-col { width: 26%; }
.share-col { width: 22%; }
.meter { position: relative; height: 8px; background: #eef0f3; border-radius: 4px; overflow: hidden; }
.meter > span { position: absolute; inset: 0 auto 0 0; border-radius: 4px; background: var(--ok); }
.meter > span.held { background: repeating-linear-gradient(45deg, #a5b4fc, #a5b4fc 3px, #c7d2fe 3px, #c7d2fe 6px); }
.meter.warn > span.spent { background: var(--warn); }
.meter.bad > span.spent { background: var(--bad); }
.meter.share > span { background: #91a7ff; }
.pct { font-size: 12px; color: var(--muted); margin-left: 6px; }
.meter-cell { display: flex; align-items: center; }
.meter-cell .meter { flex: 1; }
.nowrap { white-space: nowrap; }
.badge { white-space: nowrap; display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.badge.topup { background: #e6fcf5; color: #087f5b; }
.badge.payment { background: #edf2ff; color: #3b5bdb; }
.badge.refused { background: #fff5f5; color: #a61e1e; }
.tx { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.empty { color: var(--muted); font-size: 13px; margin: 8px 0 0; }
.error { color: var(--bad); }
.facts { display: flex; gap: 28px; flex-wrap: wrap; margin-bottom: 6px; }
.facts div { font-size: 13px; }
.facts b { display: block; font-size: 17px; font-variant-numeric: tabular-nums; }
footer { padding: 10px 28px 24px; max-width: 1500px; margin: 0 auto; }
@media (max-width: 1100px) { .grid2 { grid-template-columns: 1fr; } }
@media (max-width: 600px) {
  header.top { padding: 12px 14px; }
  .where { order: 3; flex-basis: 100%; }
  main { padding: 14px 12px 8px; gap: 14px; }
  .cards { grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; }
  .card .value { font-size: 20px; }
  .panel { padding: 12px; }
  .chart-box { height: 300px; }
  table.wide { min-width: 600px; } /* scrolls in its box rather than break every name */
  .banner { margin: 12px 12px 0; }
  footer { padding: 10px 12px 20px; }
}
`;
