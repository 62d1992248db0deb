import { createHash } from 'node:crypto';
import { Embeddings, type EmbeddingsParams } from '@langchain/core/embeddings';
import { type BaseStore, InMemoryStore } from '@langchain/core/stores';
import { HttpError, ProtocolError } from '@venice-x402/core';
import { readOutcome } from '@venice-x402/fetch';
import {
  createPaidClient,
  failFastOnX402,
  type PaidClient,
  splitCredentials,
  type VeniceCredentials,
} from './paid-client.js';

export interface VeniceX402EmbeddingsFields extends EmbeddingsParams, VeniceCredentials {
  model?: string;
  /** Output dimensions, for models with `supportsCustomDimensions`. */
  dimensions?: number;
  /** Inputs per request. Venice accepts up to 2,048. */
  batchSize?: number;
  /** Replace newlines with spaces, as OpenAIEmbeddings does. Default true. */
  stripNewLines?: boolean;
  /**
   * Content-addressed cache (model + dimensions + text hash → vector), so a text already paid for is
   * never paid for again. Default: in memory. Pass any LangChain byte store (file, Redis), or `false`.
   */
  cache?: BaseStore<string, Uint8Array> | false;
}

const MAX_BATCH = 2048;

/** What the last `embedDocuments` / `embedQuery` call cost: the sum over every request it made. */
export interface EmbeddingsCallCost {
  costUsd: number;
  /** Paid requests (batches) the call made. */
  requests: number;
  /** Distinct texts paid for, and texts answered without a new payment (cached, or repeated within the call). */
  paidTexts: number;
  reusedTexts: number;
}

/** Venice embeddings paid through the wallet, batched, de-duplicated and cached. */
export class VeniceX402Embeddings extends Embeddings {
  static lc_name() {
    return 'VeniceX402Embeddings';
  }

  model: string;
  dimensions?: number;
  batchSize: number;
  stripNewLines: boolean;
  readonly #paid: PaidClient;
  readonly #cache: BaseStore<string, Uint8Array> | undefined;
  /** The last call's cost (LangChain's embeddings API returns vectors only). */
  lastCall: EmbeddingsCallCost | undefined;

  constructor(fields: VeniceX402EmbeddingsFields = {}) {
    const [credentials, rest] = splitCredentials(fields);
    super({ onFailedAttempt: failFastOnX402, ...rest });
    this.#paid = createPaidClient(credentials);
    this.model = rest.model ?? 'text-embedding-bge-m3';
    this.dimensions = rest.dimensions;
    this.batchSize = Math.min(MAX_BATCH, Math.max(1, rest.batchSize ?? MAX_BATCH));
    this.stripNewLines = rest.stripNewLines ?? true;
    this.#cache = rest.cache === false ? undefined : (rest.cache ?? new InMemoryStore<Uint8Array>());
  }

  get budget() {
    return this.#paid.budget;
  }

  async embedQuery(text: string): Promise<number[]> {
    return (await this.embedDocuments([text]))[0]!;
  }

  async embedDocuments(texts: string[]): Promise<number[][]> {
    const inputs = texts.map((t) => (this.stripNewLines ? t.replace(/\n/g, ' ') : t));
    const keys = inputs.map((t) => this.cacheKey(t));
    const vectors = new Map<string, number[]>();
    if (this.#cache) {
      const cached = await this.#cache.mget([...new Set(keys)]);
      [...new Set(keys)].forEach((key, i) => {
        const bytes = cached[i];
        if (bytes)
          vectors.set(
            key,
            Array.from(new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))),
          );
      });
    }
    // Pay once per distinct text not already known.
    const missing: { key: string; text: string }[] = [];
    const queued = new Set<string>();
    inputs.forEach((text, i) => {
      const key = keys[i]!;
      if (!vectors.has(key) && !queued.has(key)) {
        queued.add(key);
        missing.push({ key, text });
      }
    });
    const call: EmbeddingsCallCost = { costUsd: 0, requests: 0, paidTexts: missing.length, reusedTexts: 0 };
    call.reusedTexts = inputs.length - missing.length;
    for (let start = 0; start < missing.length; start += this.batchSize) {
      const batch = missing.slice(start, start + this.batchSize);
      const { vectors: embedded, costUsd } = await this.caller.call(() => this.request(batch.map((b) => b.text)));
      call.requests++;
      call.costUsd = Math.round((call.costUsd + costUsd) * 1e9) / 1e9;
      const fresh: [string, Uint8Array][] = [];
      batch.forEach((b, i) => {
        vectors.set(b.key, embedded[i]!);
        fresh.push([b.key, new Uint8Array(new Float64Array(embedded[i]!).buffer)]);
      });
      await this.#cache?.mset(fresh);
    }
    this.lastCall = call;
    return keys.map((key) => vectors.get(key)!);
  }

  private cacheKey(text: string): string {
    const hash = createHash('sha256').update(text).digest('hex');
    return `venice-embeddings:${this.model}:${this.dimensions ?? 'default'}:${hash}`;
  }

  private async request(input: string[]): Promise<{ vectors: number[][]; costUsd: number }> {
    const response = await this.#paid.fetch(`${this.#paid.baseURL}/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: this.model,
        input,
        encoding_format: 'float',
        ...(this.dimensions ? { dimensions: this.dimensions } : {}),
      }),
    });
    const body = (await response.json().catch(() => undefined)) as any;
    if (!response.ok)
      throw new HttpError(
        response.status,
        String(body?.error?.message ?? body?.error ?? `Embeddings failed (${response.status})`),
      );
    const data = Array.isArray(body?.data) ? [...body.data].sort((a, b) => a.index - b.index) : [];
    if (data.length !== input.length || data.some((d) => !Array.isArray(d.embedding))) {
      throw new ProtocolError('Embeddings response does not match the inputs', {
        inputs: input.length,
        outputs: data.length,
      });
    }
    return { vectors: data.map((d) => d.embedding as number[]), costUsd: readOutcome(response).costUsd ?? 0 };
  }
}
