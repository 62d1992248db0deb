/** How long to wait before retrying a 429 / 503: Retry-After (seconds or date), then rate-limit reset, else backoff. */
export function retryDelayMs(response: Response, attempt: number, maxMs: number, now: number): number {
  const after = response.headers.get('retry-after');
  let ms: number | undefined;
  if (after) {
    const seconds = Number(after);
    if (Number.isFinite(seconds)) ms = seconds * 1000;
    else if (!Number.isNaN(Date.parse(after))) ms = Date.parse(after) - now;
  }
  const reset = response.headers.get('x-ratelimit-reset-requests');
  if (ms === undefined && reset && Number.isFinite(Number(reset))) {
    const v = Number(reset);
    // Venice documents both Unix ms and Unix seconds here (docs/venice-protocol.md Q9): tell them apart by size.
    ms = v > 1e12 ? v - now : v > 1e9 ? v * 1000 - now : v * 1000;
  }
  if (ms === undefined) ms = 250 * 2 ** attempt;
  const jitter = Math.random() * 50;
  return Math.max(0, Math.min(maxMs, ms)) + jitter;
}
