import { E2EEError } from '../../errors.js';
import type { Attestation } from './attestation.js';
import { newKeyPair, publicKeyBytes, sealerTo, unseal } from './e2ee-crypto.js';

/** Headers Venice reads on an E2EE request (venice-wire §13.2). */
export const E2EE_HEADERS = {
  clientPublicKey: 'X-Venice-TEE-Client-Pub-Key',
  modelPublicKey: 'X-Venice-TEE-Model-Pub-Key',
  signingAlgo: 'X-Venice-TEE-Signing-Algo',
} as const;

/**
 * One E2EE request's keys: a fresh client key pair, and the attested model key. `sealRequest` encrypts a chat
 * body; `openChoice` / `openDelta` decrypt an answer in place and fail closed (E2EEError) on anything that should
 * be encrypted and is not, or does not decrypt.
 */
export class E2eeSession {
  readonly #own = newKeyPair();
  readonly #model: Buffer;
  readonly clientPublicKey: string;

  constructor(readonly attestation: Attestation) {
    const key = publicKeyBytes(attestation.signingKey);
    if (!key) throw new E2EEError('unsupported', 'The attested key is not a secp256k1 public key');
    this.#model = key;
    this.clientPublicKey = this.#own.publicKey.toString('hex');
  }

  get model() {
    return this.attestation.model;
  }

  /** The request headers that name both keys. */
  headers(): Record<string, string> {
    return {
      [E2EE_HEADERS.clientPublicKey]: this.clientPublicKey,
      [E2EE_HEADERS.modelPublicKey]: this.attestation.signingKey,
      [E2EE_HEADERS.signingAlgo]: 'ecdsa',
    };
  }

  /**
   * A copy of a chat body with every message's content sealed to the model and `venice_parameters.enable_e2ee`
   * set. Text content parts are joined (as `venice-e2ee` does); anything E2EE cannot carry privately — images,
   * audio, tool definitions or tool calls — is refused before anything is sent.
   */
  sealRequest(body: unknown): Record<string, unknown> {
    const refuse = (what: string) =>
      new E2EEError('unsupported', `E2EE cannot carry ${what}: refused, nothing was sent`, { model: this.model });
    if (!body || typeof body !== 'object' || !Array.isArray((body as any).messages))
      throw refuse('a body without messages');
    const b = body as Record<string, any>;
    if (b.tools !== undefined || b.functions !== undefined) throw refuse('tool definitions (they would be plaintext)');
    const seal = sealerTo(this.#own, this.#model);
    const messages = b.messages.map((message: any) => {
      if (!message || typeof message !== 'object') throw refuse('a message that is not an object');
      if (message.tool_calls !== undefined || message.function_call !== undefined)
        throw refuse('tool calls (they would be plaintext)');
      return { ...message, content: seal(textOf(message.content, refuse)) };
    });
    const params = b.venice_parameters && typeof b.venice_parameters === 'object' ? b.venice_parameters : {};
    return { ...b, messages, venice_parameters: { ...params, enable_e2ee: true } };
  }

  /** Decrypts `choices[i].message` of a JSON answer in place. */
  openChoices(answer: unknown): void {
    const choices = (answer as any)?.choices;
    if (!Array.isArray(choices)) return;
    for (const choice of choices) this.#openMessage(choice?.message);
  }

  /** Decrypts `choices[i].delta` of one SSE chunk in place. */
  openDeltas(chunk: unknown): void {
    const choices = (chunk as any)?.choices;
    if (!Array.isArray(choices)) return;
    for (const choice of choices) this.#openMessage(choice?.delta);
  }

  #openMessage(message: any) {
    if (!message || typeof message !== 'object') return;
    // Fields an SDK hands over as the model's output that E2EE never seals: present at all, they are plaintext.
    for (const field of PLAINTEXT_ONLY) {
      const value = message[field];
      if (value !== undefined && value !== null && value !== '') throw this.#failure('plaintext', field);
    }
    for (const field of SEALED) {
      const value = message[field];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string') throw this.#failure('plaintext', field);
      // Venice may send formatting whitespace unencrypted between sealed chunks (as venice-e2ee allows): no content.
      if (/^\s*$/.test(value)) continue;
      const opened = unseal(this.#own, value);
      if (!opened.ok) throw this.#failure(opened.why, field);
      message[field] = opened.text;
    }
  }

  #failure(why: 'plaintext' | 'undecryptable', field: string) {
    const message =
      why === 'plaintext'
        ? `The answer of ${this.model} carries unencrypted ${field}: refused (E2EE fails closed)`
        : `The answer of ${this.model} has ${field} that does not decrypt with this request's key`;
    return new E2EEError(why, message, { model: this.model });
  }
}

/** Answer fields Venice seals (`reasoning` is what some servers call `reasoning_content`; SDKs read both). */
const SEALED = ['content', 'reasoning_content', 'reasoning'] as const;
/** Answer fields SDKs read as output (the AI SDK: `refusal` as text) that an E2EE answer cannot carry sealed. */
const PLAINTEXT_ONLY = ['tool_calls', 'function_call', 'refusal', 'audio'] as const;

function textOf(content: unknown, refuse: (what: string) => Error): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content)) throw refuse('content that is neither text nor parts');
  return content
    .map((part: any) => {
      if (typeof part === 'string') return part;
      if (part?.type === 'text' || part?.type === 'input_text' || part?.type === 'output_text')
        return typeof part.text === 'string' ? part.text : '';
      if (part?.type === 'refusal') return '';
      throw refuse(`a content part of type ${typeof part?.type === 'string' ? part.type.slice(0, 32) : 'unknown'}`);
    })
    .join('');
}
