import { DeferredBodyResponse } from './deferred-body-response.js';

/**
 * A 2xx answer the paid fetch read whole to settle its cost. The caller's `json()`, `text()` and
 * `arrayBuffer()` are served from those bytes — `json()` from the object already parsed — instead of a
 * second body stream and a second parse (≈ 30–60 µs a call, more for large answers).
 */
export class SettledResponse extends DeferredBodyResponse {
  #bytes: Uint8Array;
  #parsed: unknown;

  /** `parsed`: the JSON of `bytes` when it is JSON (handed to the caller's first `json()`, never kept). */
  constructor(bytes: Uint8Array, parsed: unknown, init: ResponseInit & { headers: Headers }, url: string) {
    super(init, url);
    this.#bytes = bytes;
    this.#parsed = parsed;
  }

  protected override async readAll(): Promise<Uint8Array> {
    const bytes = this.#bytes;
    this.#bytes = new Uint8Array(0);
    return bytes;
  }
  protected override source(): BodyInit {
    return this.#bytes as Uint8Array<ArrayBuffer>;
  }
  protected override parse(bytes: Uint8Array): unknown {
    const parsed = this.#parsed;
    this.#parsed = undefined;
    return parsed !== undefined ? parsed : super.parse(bytes);
  }

  override async text(): Promise<string> {
    this.#parsed = undefined;
    return super.text();
  }
  override async arrayBuffer(): Promise<ArrayBuffer> {
    this.#parsed = undefined;
    return super.arrayBuffer();
  }
  override clone(): Response {
    if (this.bodyUsed || this.delegated) return super.clone();
    // The copy gets its own bytes and parses them itself: the parsed object goes to one caller only.
    const init = this.init;
    return new SettledResponse(
      this.#bytes.slice(),
      undefined,
      { ...init, headers: new Headers(init.headers) },
      this.url,
    );
  }
}
