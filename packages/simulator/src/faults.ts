export type FaultKind =
  | 'rate_limit' // 429 with Retry-After
  | 'server_error' // 500 / 503
  | 'reset' // destroy the socket before answering
  | 'slow_stream' // delay between SSE chunks
  | 'cut_stream' // end an SSE stream mid-way (no usage chunk, no [DONE])
  | 'always_402' // answer every call with a payment-required
  | 'hostile_quote' // pay-per-call quotes the client must refuse
  | 'job_failure' // a queued video or music job fails at the provider (and is refunded)
  | 'bad_attestation' // `/tee/attestation` serves what a client must refuse (see `attestation`)
  | 'stale_attestation'; // the model's TEE key rotates before an E2EE request: `e2ee_attestation_stale`

/** `spender`: the first option's `extra.spender` names a contract other than the x402 Permit2 proxy. */
export type HostileQuote = 'payTo' | 'asset' | 'network' | 'amount' | 'validity' | 'spender';

export interface FaultRule {
  kind: FaultKind;
  /** Path suffix the rule applies to (`/chat/completions`, `/x402/top-up`) or `*`. Default `*`. */
  route?: string;
  /** Probability per matching request (0–1). */
  rate?: number;
  /** Apply to the first `count` matching requests only. */
  count?: number;
  status?: 500 | 502 | 503;
  retryAfterSeconds?: number;
  delayMs?: number;
  cutAfterChunks?: number;
  hostile?: HostileQuote;
  /** `job_failure`: refused under the provider's content policy, or failed (default). */
  jobFailure?: 'content_policy' | 'provider_error';
  /** `bad_attestation`: another nonce bound, DEBUG on, a `signing_address` not the key's, or another key bound. */
  attestation?: 'nonce' | 'debug' | 'address' | 'unbound_key';
}

/** Decides which fault (if any) hits a request. Deterministic for a given seed. */
export class FaultInjector {
  private rules: { rule: FaultRule; hits: number }[] = [];
  private state: number;
  constructor(rules: FaultRule[] = [], seed = 42) {
    this.state = seed >>> 0 || 1;
    this.set(rules);
  }

  set(rules: FaultRule[]) {
    this.rules = rules.map((rule) => ({ rule, hits: 0 }));
  }

  private random(): number {
    // xorshift32: reproducible fault schedules for a given seed.
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x1_0000_0000;
  }

  pick(path: string, kinds?: FaultKind[]): FaultRule | undefined {
    for (const entry of this.rules) {
      const { rule } = entry;
      if (kinds && !kinds.includes(rule.kind)) continue;
      if (rule.route && rule.route !== '*' && !path.endsWith(rule.route)) continue;
      if (rule.count !== undefined && entry.hits >= rule.count) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      entry.hits++;
      return rule;
    }
    return undefined;
  }
}
