import type { Attestation } from './attestation.js';

interface Entry {
  startedAt: number;
  attestation: Promise<Attestation>;
}

/**
 * Good attestations per (origin, model), each for `ttlMs` from when it was asked for; single-flight: concurrent
 * callers share one request. A failed one is forgotten at once, so the next call asks again. Keyed by nested maps:
 * origins and model ids are data, never joined into one string.
 */
export class AttestationCache {
  readonly #entries = new Map<string, Map<string, Entry>>();

  constructor(
    readonly ttlMs: number,
    readonly now: () => number,
  ) {}

  get(origin: string, model: string, load: () => Promise<Attestation>): Promise<Attestation> {
    let byModel = this.#entries.get(origin);
    if (!byModel) this.#entries.set(origin, (byModel = new Map()));
    const cached = byModel.get(model);
    if (cached && this.now() - cached.startedAt < this.ttlMs) return cached.attestation;
    const entry: Entry = { startedAt: this.now(), attestation: load() };
    byModel.set(model, entry);
    entry.attestation.catch(() => {
      if (byModel.get(model) === entry) byModel.delete(model);
    });
    return entry.attestation;
  }

  /** Drops `stale` (the server said it no longer holds) unless a newer one already replaced it. */
  async forget(origin: string, model: string, stale: Attestation): Promise<void> {
    const byModel = this.#entries.get(origin);
    const entry = byModel?.get(model);
    if (!entry) return;
    const current = await entry.attestation.catch(() => undefined);
    if (current === stale && byModel?.get(model) === entry) byModel.delete(model);
  }
}
