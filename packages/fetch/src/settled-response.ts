const decoder = new TextDecoder();

/**
 * A 2xx answer the paid fetch read whole to settle its cost. The caller's `json()`, `text()` and
 * `arrayBuffer()` are served from those bytes — `json()` from the object already parsed — instead of a
 * second body stream and a second parse (≈ 30–60 µs a call, more for large answers). `body` (or any other
 * reader) gets an ordinary Response made on first use, so everything a Response does still works.
 */
export class SettledResponse extends Response {
  #bytes: Uint8Array;
  #parsed: unknown;
  #init: ResponseInit;
  #url: string;
  #used = false;
  #real: Response | undefined;

  /** `parsed`: the JSON of `bytes` when it is JSON (handed to the caller's first `json()`, never kept). */
  constructor(bytes: Uint8Array, parsed: unknown, init: ResponseInit & { headers: Headers }, url: string) {
    super(null, init);
    this.#bytes = bytes;
    this.#parsed = parsed;
    this.#init = init;
    this.#url = url;
  }

  /** The stream-backed Response everything else is delegated to, once the body is used as a stream. */
  #delegate(): Response {
    this.#real ??= new Response(this.#used ? null : (this.#bytes as Uint8Array<ArrayBuffer>), this.#init);
    return this.#real;
  }

  #take(): Uint8Array {
    if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    const bytes = this.#bytes;
    this.#bytes = new Uint8Array(0);
    return bytes;
  }

  override get url() {
    return this.#url;
  }
  override get body() {
    return this.#used && !this.#real ? null : this.#delegate().body;
  }
  override get bodyUsed() {
    return this.#real ? this.#real.bodyUsed : this.#used;
  }
  override async json(): Promise<any> {
    if (this.#real) return this.#real.json();
    const parsed = this.#parsed;
    this.#parsed = undefined;
    const bytes = this.#take();
    return parsed !== undefined ? parsed : JSON.parse(decoder.decode(bytes));
  }
  override async text(): Promise<string> {
    if (this.#real) return this.#real.text();
    this.#parsed = undefined;
    return decoder.decode(this.#take());
  }
  override async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#real) return this.#real.arrayBuffer();
    this.#parsed = undefined;
    const bytes = this.#take();
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer)
      : (bytes.slice().buffer as ArrayBuffer);
  }
  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(await this.arrayBuffer());
  }
  override async blob(): Promise<Blob> {
    if (this.#used && !this.#real) this.#take(); // throws: already read
    return this.#delegate().blob();
  }
  override async formData(): Promise<FormData> {
    if (this.#used && !this.#real) this.#take();
    return this.#delegate().formData();
  }
  override clone(): Response {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    if (this.#real) return this.#real.clone();
    // The copy gets its own bytes and parses them itself: the parsed object goes to one caller only.
    return new SettledResponse(
      this.#bytes.slice(),
      undefined,
      { ...this.#init, headers: new Headers(this.#init.headers) },
      this.#url,
    );
  }
}
