import {
  type Attestation,
  attestedModelId,
  E2EEError,
  E2eeSession,
  fetchAttestation,
  type PrivateModelKind,
  privateModelKind,
} from '@venice-x402/core';
import { resend, type Step } from './answers.js';
import { OUTCOME_HEADERS, type TeeFacts } from './outcome.js';
import type { PaidCall } from './paid-call.js';
import { parseJson } from './request-body.js';
import type { Target } from './send.js';
import { readUpTo } from './settle-answer.js';
import { SettledResponse } from './settled-response.js';
import { completeLinesEnd, MAX_SSE_LINE_CHARS, mapSseLines } from './sse-lines.js';

const encoder = new TextEncoder();
const MAX_ERROR_BYTES = 64 * 1024;

/**
 * The private-model step of a paid call (`tee-*`, `e2ee-*` under a Venice base): before anything is sent, the
 * model's attestation (cached per origin and model); for `e2ee-*`, the request sealed to the attested key with a
 * fresh key pair, and the answer — JSON or SSE, chunk by chunk — decrypted, failing closed. An
 * `e2ee_attestation_stale` answer re-attests and re-sends once.
 */
export class PrivateModelCall {
  #attestation: Attestation;
  #session: E2eeSession | undefined;
  #reattested = false;

  private constructor(
    readonly call: PaidCall,
    readonly kind: PrivateModelKind,
    readonly origin: string,
    attestation: Attestation,
    private readonly self: typeof fetch,
  ) {
    this.#attestation = attestation;
  }

  /** The step for `call`, or undefined when its model is not private. Throws AttestationError / E2EEError. */
  static async open(call: PaidCall, self: typeof fetch): Promise<PrivateModelCall | undefined> {
    const { ctx, info } = call;
    const kind = privateModelKind(info.model);
    if (!kind || !ctx.venice || !ctx.base || !info.paid) return undefined;
    if (kind === 'e2ee' && info.route !== '/chat/completions')
      throw new E2EEError('unsupported', `E2EE models are served on /chat/completions only, not ${info.route}`, {
        model: info.model,
      });
    const origin = ctx.base.origin;
    const attestation = await attest(call, self, origin);
    return new PrivateModelCall(call, kind, origin, attestation, self);
  }

  facts(): TeeFacts {
    const a = this.#attestation;
    return {
      model: a.model,
      ...(a.provider ? { provider: a.provider } : {}),
      signingAddress: a.signingAddress,
      nonce: a.nonce,
      attestedAt: new Date(a.attestedAt).toISOString(),
      e2ee: this.kind === 'e2ee',
    };
  }

  /** `e2ee-*`: the target's body sealed to the attested key under a fresh key pair, and the key headers. */
  seal(target: Target) {
    if (this.kind !== 'e2ee') return;
    this.#session = new E2eeSession(this.#attestation);
    target.body = encoder.encode(JSON.stringify(this.#session.sealRequest(this.call.info.json)));
    for (const [name, value] of Object.entries(this.#session.headers())) target.headers.set(name, value);
    target.headers.set('content-type', 'application/json');
    target.headers.delete('content-length');
  }

  /** A 2xx answer, settled: decrypted (`e2ee-*`) and marked with what was verified. */
  async answer(response: Response): Promise<Response> {
    const facts = asciiJson(this.facts());
    const session = this.#session;
    if (!session) {
      try {
        response.headers.set(OUTCOME_HEADERS.tee, facts); // ours when the paid fetch rebuilt it (settled JSON, SSE)
        return response;
      } catch {
        const headers = new Headers(response.headers);
        headers.set(OUTCOME_HEADERS.tee, facts);
        return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
      }
    }
    const headers = new Headers(response.headers);
    headers.set(OUTCOME_HEADERS.tee, facts);
    const init = { status: response.status, statusText: response.statusText, headers };
    if ((headers.get('content-type') ?? '').includes('text/event-stream') && response.body)
      return new Response(decryptSse(response.body, session), init);
    if (!(response instanceof SettledResponse)) {
      await response.body?.cancel().catch(() => {});
      throw new E2EEError('plaintext', `The answer of ${session.model} is neither JSON nor a stream: refused`, {
        model: session.model,
      });
    }
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch {
      throw new E2EEError('plaintext', `The answer of ${session.model} is not JSON: refused`, { model: session.model });
    }
    session.openChoices(parsed);
    return new SettledResponse(encoder.encode(JSON.stringify(parsed)), parsed, init, response.url);
  }

  /**
   * A 4xx naming `e2ee_attestation_stale` (the model's key rotated): the attestation is dropped, taken again, the
   * request re-sealed and re-sent, once. Any other answer comes back as a Response for the error path.
   */
  async staleAttestation(target: Target, response: Response): Promise<Step | Response> {
    if (this.kind !== 'e2ee' || this.#reattested || response.status < 400 || response.status >= 500) return response;
    // Read up to 64 KiB to look for the code (Venice's errors are small JSON); a larger body is replayed untouched.
    const read = await readUpTo(response, MAX_ERROR_BYTES).catch(() => new Uint8Array(0));
    const init = { status: response.status, statusText: response.statusText, headers: response.headers };
    if (!(read instanceof Uint8Array)) return new Response(read, init);
    const body = parseJson(read);
    if ((body?.code ?? body?.error?.code) !== 'e2ee_attestation_stale') return new Response(read as BodyInit, init);
    this.#reattested = true;
    this.call.endAttempt();
    await this.call.ctx.attestations.forget(this.origin, this.#attestation.model, this.#attestation);
    this.#attestation = await attest(this.call, this.self, this.origin);
    this.seal(target);
    return resend;
  }
}

function attest(call: PaidCall, self: typeof fetch, origin: string): Promise<Attestation> {
  const { ctx } = call;
  const model = attestedModelId(call.info.model!);
  // Shared by concurrent calls: the caller's signal is not the load's (one caller's abort must not fail the rest).
  return ctx.attestations.get(origin, model, () =>
    fetchAttestation({
      fetch: self,
      baseURL: ctx.base!.href,
      model,
      now: () => ctx.clock.now(),
      idleTimeoutMs: Math.min(ctx.timeoutMs, 30_000),
    }),
  );
}

/** JSON safe as a header value: anything outside ASCII escaped. */
const asciiJson = (value: unknown) =>
  JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/**
 * An E2EE SSE body decrypted line by line as the consumer reads it (nothing read ahead: highWaterMark 0). Content
 * that is not sealed, or does not open, errors the stream with an E2EEError and cancels the source — the call then
 * settles as a cut stream (counted until reconciled) — and none of it reaches the consumer.
 */
function decryptSse(body: ReadableStream<Uint8Array>, session: E2eeSession): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  const openLine = (line: string) => {
    const m = /^data:\s?(.*)$/s.exec(line); // `s`: a raw U+2028 in a JSON string is still this line
    if (!m || m[1] === '[DONE]' || m[1] === '') return line;
    let frame: unknown;
    try {
      frame = JSON.parse(m[1]!);
    } catch {
      throw new E2EEError('plaintext', `The stream of ${session.model} sent a frame that is not JSON: refused`, {
        model: session.model,
      });
    }
    session.openDeltas(frame);
    return `data: ${JSON.stringify(frame)}`;
  };
  const open = async (text: string) => {
    try {
      return encoder.encode(mapSseLines(text, openLine));
    } catch (error) {
      await reader.cancel(error).catch(() => {});
      throw error;
    }
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) {
            pending += decoder.decode();
            if (pending) controller.enqueue(await open(pending));
            controller.close();
            return;
          }
          pending += decoder.decode(value, { stream: true });
          const end = completeLinesEnd(pending);
          if (end < 0 && pending.length > MAX_SSE_LINE_CHARS) {
            const error = new E2EEError('plaintext', `The stream of ${session.model} sent a line over 1 MiB: refused`, {
              model: session.model,
            });
            await reader.cancel(error).catch(() => {});
            throw error;
          }
          if (end < 0) continue;
          const complete = pending.slice(0, end);
          pending = pending.slice(end);
          controller.enqueue(await open(complete));
          return;
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}
