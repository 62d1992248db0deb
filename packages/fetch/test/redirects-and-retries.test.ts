/**
 * What a paid call does with a 3xx and how long it waits before a retry. A redirect judged wrongly sends a
 * credential or a second payment elsewhere; a retry delay judged wrongly hammers a rate-limited server (each
 * attempt of a billed route may be billed) or stalls the agent far past the cap it was given.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { classify } from '../src/classify.js';
import { createContext, type X402FetchOptions } from '../src/options.js';
import { PaidCall } from '../src/paid-call.js';
import { judgeRedirect } from '../src/redirects.js';
import { readRequest } from '../src/request.js';
import { retryDelayMs } from '../src/retry.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const BASE = 'https://api.venice.ai/api/v1';

async function paidCall(url: string, init: RequestInit = {}, options: X402FetchOptions = { apiKey: 'test-key' }) {
  const ctx = createContext(options.mode === 'payg' ? options : { baseURL: BASE, ...options });
  const request = await readRequest(url, init);
  const info = classify(ctx, request);
  if (!info) throw new Error(`${url} is not under the base`);
  return new PaidCall(ctx, request, info);
}

const answer = (status: number, location?: string) =>
  new Response(null, { status, headers: location === undefined ? {} : { location } });

describe('judgeRedirect', () => {
  it('only 301, 302, 303, 307 and 308 are redirects', async () => {
    const call = await paidCall(`${BASE}/chat/completions`);
    const url = call.request.url;
    for (const status of [300, 304, 305, 306, 400, 200])
      expect(judgeRedirect(call, url, answer(status, `${BASE}/x`))).toEqual({ kind: 'none' });
    for (const status of [301, 302, 303, 307, 308])
      expect(judgeRedirect(call, url, answer(status, `${BASE}/x`)).kind).toBe('follow');
  });

  it('follows a same-site redirect under the base, keeping the method and body unless the status says GET', async () => {
    const post = await paidCall(`${BASE}/chat/completions`, { method: 'POST', body: '{}' });
    const url = post.request.url;
    expect(judgeRedirect(post, url, answer(307, '/api/v1/chat/v2'))).toEqual({
      kind: 'follow',
      url: new URL(`${BASE}/chat/v2`),
      method: 'POST',
      dropBody: false,
    });
    expect(judgeRedirect(post, url, answer(308, 'v2'))).toMatchObject({ method: 'POST', dropBody: false });
    for (const status of [301, 302, 303])
      expect(judgeRedirect(post, url, answer(status, '/api/v1/x'))).toMatchObject({ method: 'GET', dropBody: true });
    const put = await paidCall(`${BASE}/x`, { method: 'PUT', body: '{}' });
    expect(judgeRedirect(put, put.request.url, answer(301, '/api/v1/y'))).toMatchObject({
      method: 'PUT',
      dropBody: false,
    });
    expect(judgeRedirect(put, put.request.url, answer(303, '/api/v1/y'))).toMatchObject({
      method: 'GET',
      dropBody: true,
    });
  });

  it('hands back a redirect elsewhere, outside the base, without a location, unparsable, or after a payment', async () => {
    const call = await paidCall(`${BASE}/chat/completions`);
    const url = call.request.url;
    for (const location of ['https://evil.example/api/v1/x', 'http://api.venice.ai/api/v1/x', '/other/x', 'http://['])
      expect(judgeRedirect(call, url, answer(307, location)), location).toEqual({ kind: 'return' });
    expect(judgeRedirect(call, url, answer(307))).toEqual({ kind: 'return' });
    call.paymentSent = true;
    expect(judgeRedirect(call, url, answer(307, `${BASE}/x`))).toEqual({ kind: 'return' });
  });

  it('follows at most five redirects, and none when the caller asked for manual redirects', async () => {
    const call = await paidCall(`${BASE}/chat/completions`);
    call.redirects = 4;
    expect(judgeRedirect(call, call.request.url, answer(307, `${BASE}/x`)).kind).toBe('follow');
    call.redirects = 5;
    expect(judgeRedirect(call, call.request.url, answer(307, `${BASE}/x`)).kind).toBe('return');
    const manual = await paidCall(`${BASE}/chat/completions`, { redirect: 'manual' });
    expect(judgeRedirect(manual, manual.request.url, answer(307, `${BASE}/x`)).kind).toBe('return');
  });

  it('pay-per-call: same origin only when that origin is one the user named', async () => {
    const options: X402FetchOptions = { mode: 'payg', payOrigins: ['https://gateway.example'] };
    const call = await paidCall('https://gateway.example/paid', {}, options);
    expect(judgeRedirect(call, call.request.url, answer(302, '/elsewhere')).kind).toBe('follow');
    expect(judgeRedirect(call, call.request.url, answer(302, 'https://other.example/paid')).kind).toBe('return');
  });
});

describe('retryDelayMs', () => {
  const NOW = Date.UTC(2026, 11, 4, 12);
  const delay = (headers: Record<string, string>, attempt = 0, maxMs = 60_000) =>
    retryDelayMs(new Response(null, { status: 429, headers }), attempt, maxMs, NOW);

  it('Retry-After in seconds or as a date; then the rate-limit reset in ms, in seconds, or relative', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(delay({ 'retry-after': '3' })).toBe(3_000);
    expect(delay({ 'retry-after': '0.5' })).toBe(500);
    expect(delay({ 'retry-after': new Date(NOW + 7_000).toUTCString() })).toBe(7_000);
    expect(delay({ 'x-ratelimit-reset-requests': String(NOW + 4_000) })).toBe(4_000);
    expect(delay({ 'x-ratelimit-reset-requests': String(NOW / 1000 + 5) })).toBe(5_000);
    expect(delay({ 'x-ratelimit-reset-requests': '2' })).toBe(2_000);
    // At the edges: 1e12 is read as seconds (far off: the cap), 1e9 as a relative number of seconds (the cap).
    expect(delay({ 'x-ratelimit-reset-requests': '1000000000000' }, 0, 5_000)).toBe(5_000);
    expect(delay({ 'x-ratelimit-reset-requests': '1000000000' }, 0, 5_000)).toBe(5_000);
    // Retry-After wins over the reset header.
    expect(delay({ 'retry-after': '1', 'x-ratelimit-reset-requests': '9' })).toBe(1_000);
  });

  it('without a usable header: 250 ms doubling per attempt', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(delay({})).toBe(250);
    expect(delay({}, 1)).toBe(500);
    expect(delay({}, 3)).toBe(2_000);
    expect(delay({ 'retry-after': 'soon' }, 2)).toBe(1_000);
    expect(delay({ 'x-ratelimit-reset-requests': 'later' }, 1)).toBe(500);
  });

  it('never below zero, never above the cap, plus under 50 ms of jitter', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    expect(delay({ 'retry-after': new Date(NOW - 60_000).toUTCString() })).toBe(0);
    expect(delay({ 'retry-after': '3600' }, 0, 5_000)).toBe(5_000);
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const jittered = delay({ 'retry-after': '1' });
    expect(jittered).toBeGreaterThan(1_049);
    expect(jittered).toBeLessThan(1_050);
  });
});
