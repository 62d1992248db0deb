import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { ConfigError } from '@venice-x402/core';
import { DASHBOARD_JS } from './client-script.js';
import { DASHBOARD_CSS } from './styles.js';

/**
 * A file the page loads from the dashboard itself (no CDN: the page works with no network). Its URL carries a hash
 * of its content, so a browser may keep it for good (`immutable`); it is compressed once, when first served.
 */
export interface Asset {
  /** `/assets/dashboard.3f9c0a1d2b4e.js`: the content hash makes the URL change whenever the content does. */
  readonly path: string;
  readonly contentType: string;
  readonly body: Buffer;
  /** The body as sent for an `Accept-Encoding` (identity when the client takes neither). */
  encoded(encoding: ContentEncoding): Buffer;
}

export type ContentEncoding = 'br' | 'gzip' | 'identity';

export interface DashboardAssets {
  js: Asset;
  css: Asset;
  chart: Asset;
  /** By URL path. */
  byPath: Map<string, Asset>;
}

/** Compresses a body for one encoding (brotli at a quality that takes milliseconds, not seconds). */
export function encode(body: Buffer, encoding: ContentEncoding): Buffer {
  if (encoding === 'br') return brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } });
  if (encoding === 'gzip') return gzipSync(body, { level: 9 });
  return body;
}

function asset(name: string, ext: string, contentType: string, body: Buffer): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
  const cache = new Map<ContentEncoding, Buffer>();
  return {
    path: `/assets/${name}.${hash}.${ext}`,
    contentType,
    body,
    encoded(encoding) {
      let out = cache.get(encoding);
      if (!out) cache.set(encoding, (out = encode(body, encoding)));
      return out;
    },
  };
}

let assets: DashboardAssets | undefined;

/** The page's script, stylesheet and Chart.js, built once per process. */
export function dashboardAssets(): DashboardAssets {
  if (assets) return assets;
  const js = asset('dashboard', 'js', 'text/javascript; charset=utf-8', Buffer.from(DASHBOARD_JS));
  const css = asset('dashboard', 'css', 'text/css; charset=utf-8', Buffer.from(DASHBOARD_CSS));
  const chart = asset('chart.umd.min', 'js', 'text/javascript; charset=utf-8', chartJsSource());
  assets = { js, css, chart, byPath: new Map([js, css, chart].map((a) => [a.path, a])) };
  return assets;
}

/**
 * Chart.js's self-contained UMD build, read from the CLI's own dependency (its `exports` hide dist/, so the
 * package entry is resolved and the file found beside it).
 */
function chartJsSource(): Buffer {
  try {
    const entry = createRequire(import.meta.url).resolve('chart.js');
    return readFileSync(join(dirname(entry), 'chart.umd.min.js'));
  } catch (error) {
    throw new ConfigError('The dashboard needs chart.js: reinstall @venice-x402/cli', {
      reason: String((error as Error)?.message ?? error).slice(0, 200),
    });
  }
}

/** The encoding to answer with: brotli, then gzip, as the client accepts them (`q=0` refuses one). */
export function pickEncoding(acceptEncoding: string | undefined): ContentEncoding {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [coding, ...params] = part.trim().split(';');
    if (!coding) continue;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    accepted.set(coding, q === undefined ? 1 : Number(q));
  }
  const weight = (coding: string) => accepted.get(coding) ?? accepted.get('*') ?? 0;
  if (weight('br') > 0) return 'br';
  if (weight('gzip') > 0) return 'gzip';
  return 'identity';
}
