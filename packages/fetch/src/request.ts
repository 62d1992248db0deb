/** A request taken apart once, so retries can re-send the same bytes. */
export interface RequestParts {
  url: URL;
  method: string;
  headers: Headers;
  body: Uint8Array | undefined;
  signal: AbortSignal | undefined;
  redirect: RequestRedirect | undefined;
}

const encoder = new TextEncoder();

/**
 * Reads `fetch(input, init)` arguments. The common case (a URL and a string or bytes body, as every SDK sends)
 * skips building a `Request`; anything else (FormData, streams, a Request object) goes through one.
 */
export async function readRequest(input: RequestInfo | URL, init: RequestInit | undefined): Promise<RequestParts> {
  const body = init?.body;
  if (
    (typeof input === 'string' || input instanceof URL) &&
    (body == null || typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer)
  ) {
    return {
      url: new URL(String(input)),
      method: (init?.method ?? 'GET').toUpperCase(),
      headers: new Headers(init?.headers),
      body:
        body == null
          ? undefined
          : typeof body === 'string'
            ? encoder.encode(body)
            : body instanceof Uint8Array
              ? body
              : new Uint8Array(body),
      signal: init?.signal ?? undefined,
      redirect: init?.redirect,
    };
  }
  const request = new Request(input, init);
  return {
    url: new URL(request.url),
    method: request.method,
    headers: new Headers(request.headers), // includes a generated multipart boundary
    body: request.body ? new Uint8Array(await request.arrayBuffer()) : undefined,
    signal: init?.signal ?? request.signal,
    redirect: request.redirect,
  };
}
