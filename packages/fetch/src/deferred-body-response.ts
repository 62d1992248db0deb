const decoder = new TextDecoder();

/**
 * The base class stands in for the global `Response` until the first answer is made: reading `Response` loads
 * Node's fetch implementation (undici, ≈ 15 ms of a cold start), which importing the paid fetch must not pay.
 * `super()` finds its constructor through the class's prototype, so linking it on first use is enough.
 */
const ResponseOnFirstUse = function ResponseOnFirstUse() {} as unknown as typeof Response;
let linked = false;
function linkResponse() {
  if (linked) return;
  linked = true;
  Object.setPrototypeOf(DeferredBodyResponse, Response);
  Object.setPrototypeOf(DeferredBodyResponse.prototype, Response.prototype);
}

/**
 * A `Response` whose body lives elsewhere — bytes already read, a socket's stream — and is read from there:
 * `json()`, `text()` and `arrayBuffer()` take it whole, without a web stream. `body` (or `blob`, `formData`,
 * `clone`) gets an ordinary stream-backed Response made on first use, so everything a Response does still works.
 */
export abstract class DeferredBodyResponse extends ResponseOnFirstUse {
  readonly #init: ResponseInit;
  readonly #url: string;
  #used = false;
  #real: Response | undefined;

  constructor(init: ResponseInit, url: string) {
    linkResponse();
    super(null, init);
    this.#init = init;
    this.#url = url;
  }

  /** The whole body; called at most once. */
  protected abstract readAll(): Promise<Uint8Array>;
  /** The body for an ordinary Response; called at most once, and only while unread. */
  protected abstract source(): BodyInit | null;
  /** The body's JSON. */
  protected parse(bytes: Uint8Array): unknown {
    return JSON.parse(decoder.decode(bytes));
  }
  /** An ordinary Response already stands in for this one. */
  protected get delegated(): boolean {
    return this.#real !== undefined;
  }
  protected get init(): ResponseInit {
    return this.#init;
  }

  #delegate(): Response {
    this.#real ??= new Response(this.#used ? null : this.source(), this.#init);
    return this.#real;
  }

  async #all(): Promise<Uint8Array> {
    if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    return this.readAll();
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
  override async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#real) return this.#real.arrayBuffer();
    const bytes = await this.#all();
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer)
      : (bytes.slice().buffer as ArrayBuffer);
  }
  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return new Uint8Array(await this.arrayBuffer());
  }
  override async text(): Promise<string> {
    if (this.#real) return this.#real.text();
    return decoder.decode(await this.#all());
  }
  override async json(): Promise<any> {
    if (this.#real) return this.#real.json();
    return this.parse(await this.#all());
  }
  override async blob(): Promise<Blob> {
    if (this.#used && !this.#real) await this.#all(); // throws: already read
    return this.#delegate().blob();
  }
  override async formData(): Promise<FormData> {
    if (this.#used && !this.#real) await this.#all();
    return this.#delegate().formData();
  }
  override clone(): Response {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    return this.#delegate().clone();
  }
}

/** Chunks joined into one array (the one chunk itself when there is only one). */
export function concatBytes(chunks: Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
