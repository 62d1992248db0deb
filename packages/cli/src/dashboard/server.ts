import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Budget, ConfigError, type Wallet } from '@venice-x402/core';
import { dashboardAssets, encode, pickEncoding } from './assets.js';
import { renderPage } from './page.js';
import { buildSnapshot, type DashboardSnapshot } from './snapshot.js';
import { type WalletStatus, watchWallet } from './wallet-status.js';

export interface DashboardOptions {
  /** The budget over the store the agents use (file or Redis). The dashboard only reads it and never closes it. */
  budget: Budget;
  /** Where the budget lives, shown on the page (a path, or Redis without credentials). */
  storeLabel?: string;
  /** With a wallet the page also shows Venice's balance and the reconcile of the ledger. */
  wallet?: Wallet;
  /** Default 127.0.0.1: only this machine. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default: 32 random characters. Every request must carry it (`?token=` or `Authorization: Bearer`). */
  token?: string;
  /** How often the store is read while a page is open (default 1000 ms). */
  pollMs?: number;
  /** How often Venice is asked for the balance and transactions (default 60 s). */
  walletRefreshMs?: number;
}

export interface Dashboard {
  /** The page's URL, token included. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /** What `/api/snapshot` answers right now. */
  snapshot(): Promise<DashboardSnapshot>;
  /** Stops listening and ends every open event stream. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** Even with no change, a snapshot is rebuilt this often (holds expire, the hour turns). */
const REBUILD_MS = 30_000;
const HEARTBEAT_MS = 15_000;
/** After the ledger changed, Venice is asked again at most this often (it allows 20 transaction reads a minute). */
const WALLET_AFTER_CHANGE_MS = 15_000;
const WALLET_FIRST_WAIT_MS = 1500;
/**
 * A page that stops reading its event stream (a stalled tab, a hostile client) is dropped once this much waits for
 * it: every snapshot is complete, so the browser's EventSource reconnects and starts from a fresh one.
 */
const MAX_STREAM_BACKLOG_BYTES = 1024 * 1024;

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
};
/** Asset URLs carry a hash of their content: a browser keeps each for good (the token is still asked every time). */
const ASSET_CACHE = 'private, max-age=31536000, immutable';
/** Bodies smaller than this go out as they are: compressing them saves less than the header costs. */
const COMPRESS_FROM_BYTES = 1024;
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * A local, read-only web dashboard over a budget's store: one page, its assets, `/api/snapshot` (JSON) and
 * `/api/events` (server-sent events pushing a new snapshot whenever the store changed). Every route, assets
 * included, refuses a request without the token (401) or with a wrong one (403), and says nothing else.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { budget } = options;
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  if (token.length < 16) throw new ConfigError('The dashboard token must be at least 16 characters');
  const tokenDigest = digest(token);
  const pollMs = options.pollMs ?? 1000;
  const storeLabel = options.storeLabel ?? 'budget store';
  const assets = dashboardAssets(); // fail at start, not on the first page load
  const wallet: WalletStatus | undefined =
    options.wallet && watchWallet(budget, options.wallet, { refreshMs: options.walletRefreshMs });
  // The first answer waits a moment for Venice, never long: the page must come up offline too.
  const firstRefresh = wallet?.refresh();
  const walletReady = () =>
    firstRefresh && Promise.race([firstRefresh, new Promise((r) => setTimeout(r, WALLET_FIRST_WAIT_MS).unref())]);

  const clients = new Set<ServerResponse>();
  let last: { probe: string; body: string; builtAt: number } | undefined;
  let ticking = false;

  const walletView = () =>
    wallet?.view ?? (options.wallet ? { address: options.wallet.address, checkedAt: '', pending: true } : null);
  const snapshot = () => buildSnapshot(budget, { store: storeLabel, wallet: walletView() });

  /** A cheap look at the store: when it is unchanged, the full snapshot is not rebuilt. */
  async function probe(): Promise<string> {
    const [report, holds, refused] = await Promise.all([
      budget.report({ by: 'model' }),
      budget.store.holds ? budget.store.holds(Date.now()) : [],
      budget.store.refusals ? budget.store.refusals(0) : undefined,
    ]);
    return JSON.stringify([
      report.totalUsd,
      report.rows.map((r) => [r.key, r.calls, r.spentUsd]),
      report.windows.map((w) => [w.id, w.spentUsd, w.reservedUsd]),
      holds.map((h) => h.id),
      refused?.total ?? 0,
      wallet?.version ?? 0,
    ]);
  }

  /** Writes to one event stream, or drops the stream when its reader has fallen too far behind. */
  function push(res: ServerResponse, text: string) {
    if (res.writableLength > MAX_STREAM_BACKLOG_BYTES) {
      clients.delete(res);
      res.destroy();
      return;
    }
    res.write(text);
  }

  const send = (res: ServerResponse, event: string, data: string) => push(res, `event: ${event}\ndata: ${data}\n\n`);

  /** Reads the store; pushes a snapshot to every open page when something changed. */
  async function tick() {
    if (ticking) return;
    ticking = true;
    try {
      const p = await probe();
      if (last && p === last.probe && Date.now() - last.builtAt < REBUILD_MS) return;
      if (last && p !== last.probe) wallet?.refreshIfOlder(WALLET_AFTER_CHANGE_MS); // its next version redraws
      const snap = await snapshot();
      const { at: _at, ...content } = snap;
      const body = JSON.stringify(content);
      const changed = !last || body !== last.body;
      last = { probe: p, body, builtAt: Date.now() };
      if (changed) {
        const data = JSON.stringify(snap);
        for (const res of clients) send(res, 'snapshot', data);
      }
    } catch (error) {
      const data = JSON.stringify({ error: errorMessage(error) });
      for (const res of clients) send(res, 'store-error', data);
    } finally {
      ticking = false;
    }
  }

  const poller = setInterval(() => {
    if (clients.size > 0) void tick();
  }, pollMs);
  const heartbeat = setInterval(() => {
    for (const res of clients) push(res, ': keep-alive\n\n');
  }, HEARTBEAT_MS);
  poller.unref();
  heartbeat.unref();

  function authorized(req: IncomingMessage, url: URL): 'ok' | 'missing' | 'wrong' {
    const header = req.headers.authorization;
    const given = url.searchParams.get('token') ?? (header?.startsWith('Bearer ') ? header.slice(7) : undefined);
    if (!given) return 'missing';
    return timingSafeEqual(digest(given), tokenDigest) ? 'ok' : 'wrong';
  }

  /** Bound to loopback, only loopback names are answered (a DNS-rebinding page gets nothing, token or not). */
  function hostAllowed(req: IncomingMessage, port: number): boolean {
    if (!LOOPBACK.has(host)) return true;
    const h = req.headers.host ?? '';
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(h.toLowerCase());
  }

  function reply(res: ServerResponse, status: number, type: string, body: string | Buffer, extra = {}) {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, ...extra });
    res.end(body);
  }

  /** A reply compressed as the client accepts (brotli or gzip); `encoded` serves a body compressed before. */
  function replyCompressed(
    req: IncomingMessage,
    res: ServerResponse,
    type: string,
    body: string | Buffer,
    extra: Record<string, string> = {},
    encoded = (raw: Buffer, encoding: ReturnType<typeof pickEncoding>) => encode(raw, encoding),
  ) {
    const raw = typeof body === 'string' ? Buffer.from(body) : body;
    const encoding = raw.length >= COMPRESS_FROM_BYTES ? pickEncoding(req.headers['accept-encoding']) : 'identity';
    const headers = {
      vary: 'accept-encoding',
      ...extra,
      ...(encoding !== 'identity' && { 'content-encoding': encoding }),
    };
    reply(res, 200, type, encoding === 'identity' ? raw : encoded(raw, encoding), headers);
  }

  function refuse(res: ServerResponse, status: 401 | 403 | 404 | 405) {
    const text = { 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 405: 'Method not allowed' }[status];
    reply(
      res,
      status,
      'text/plain; charset=utf-8',
      `${text}\n`,
      status === 401 ? { 'www-authenticate': 'Bearer' } : {},
    );
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const auth = authorized(req, url);
    if (auth !== 'ok') return refuse(res, auth === 'missing' ? 401 : 403);
    if (!hostAllowed(req, port)) return refuse(res, 403);
    if (req.method !== 'GET') return refuse(res, 405);
    const file = assets.byPath.get(url.pathname);
    if (file)
      return replyCompressed(req, res, file.contentType, file.body, { 'cache-control': ASSET_CACHE }, (_, encoding) =>
        file.encoded(encoding),
      );
    switch (url.pathname) {
      case '/':
      case '/index.html':
        return replyCompressed(req, res, 'text/html; charset=utf-8', renderPage(token, assets), {
          'content-security-policy': PAGE_CSP,
        });
      case '/api/snapshot': {
        await walletReady();
        try {
          return replyCompressed(req, res, 'application/json; charset=utf-8', JSON.stringify(await snapshot()));
        } catch (error) {
          return reply(res, 503, 'application/json; charset=utf-8', JSON.stringify({ error: errorMessage(error) }));
        }
      }
      case '/api/events': {
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          'content-type': 'text/event-stream; charset=utf-8',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        res.write('retry: 2000\n\n');
        clients.add(res);
        req.on('close', () => clients.delete(res));
        await walletReady();
        // A page starts from a fresh snapshot of its own; from then on the poller pushes changes.
        try {
          send(res, 'snapshot', JSON.stringify(await snapshot()));
        } catch (error) {
          send(res, 'store-error', JSON.stringify({ error: errorMessage(error) }));
        }
        return;
      }
      default:
        return refuse(res, 404);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent)
        reply(res, 500, 'application/json; charset=utf-8', JSON.stringify({ error: errorMessage(error) }));
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new ConfigError(`Port ${options.port} on ${host} is in use: pick another with --port (0 = any free port)`)
          : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
            ? new ConfigError(`Cannot listen on ${host}: not an address of this machine`)
            : error,
      ),
    );
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}/?token=${encodeURIComponent(token)}`,
    host,
    port,
    token,
    snapshot,
    async close() {
      clearInterval(poller);
      clearInterval(heartbeat);
      wallet?.stop();
      for (const res of clients) res.end();
      clients.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** One line for the page: our typed errors carry no secrets; anything else is cut short. */
function errorMessage(error: unknown): string {
  return String((error as Error)?.message ?? error).slice(0, 300);
}
