import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ConfigError } from '@venice-x402/core';

/** A file the page loads from the dashboard itself (no CDN: the page works with no network). */
export interface Asset {
  body: Buffer;
  contentType: string;
}

let chartJs: Asset | undefined;

/**
 * Chart.js's self-contained UMD build, read from the CLI's own dependency (its `exports` hide dist/, so the
 * package entry is resolved and the file found beside it).
 */
export function chartJsAsset(): Asset {
  if (chartJs) return chartJs;
  let file: string;
  try {
    const entry = createRequire(import.meta.url).resolve('chart.js');
    file = join(dirname(entry), 'chart.umd.min.js');
    chartJs = { body: readFileSync(file), contentType: 'text/javascript; charset=utf-8' };
  } catch (error) {
    throw new ConfigError('The dashboard needs chart.js: reinstall @venice-x402/cli', {
      reason: String((error as Error)?.message ?? error).slice(0, 200),
    });
  }
  return chartJs;
}
