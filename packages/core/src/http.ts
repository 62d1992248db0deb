import { NetworkError, X402Error } from './errors.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * fetch with transport failures turned into NetworkError (never leaking request headers). A typed error of ours
 * (a paid fetch's budget refusal, auth failure, …) passes through as it is.
 */
export async function send(fetchImpl: FetchLike, url: string, init: RequestInit): Promise<Response> {
  try {
    // A sign-in or payment header goes only where it was meant for: a 3xx comes back as the answer, unfollowed.
    return await fetchImpl(url, { ...init, redirect: 'manual' });
  } catch (error) {
    if ((error as Error)?.name === 'AbortError' || error instanceof X402Error) throw error;
    throw new NetworkError(`Request to ${new URL(url).pathname} failed: ${(error as Error)?.message ?? 'unknown'}`, {
      cause: error,
    });
  }
}

/** Reads a body as JSON; returns undefined when it is empty or not JSON. */
export async function readJson(response: Response): Promise<unknown> {
  return jsonOf(await response.text().catch(() => ''));
}

/** Text (or UTF-8 bytes) as JSON; undefined when it is empty or not JSON. */
export function jsonOf(text: string | Uint8Array): unknown {
  const s = typeof text === 'string' ? text : new TextDecoder().decode(text);
  if (!s) return undefined;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** The server's message from any of Venice's error shapes, trimmed. */
export function errorText(body: unknown, fallback: string): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, any>;
    const candidate = typeof b.message === 'string' ? b.message : b.error;
    if (typeof candidate === 'string') return candidate.slice(0, 300);
    if (candidate && typeof candidate.message === 'string') return candidate.message.slice(0, 300);
  }
  return fallback;
}

export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });
