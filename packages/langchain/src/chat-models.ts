import type { CallbackManagerForLLMRun } from '@langchain/core/callbacks/manager';
import type { BaseLanguageModelInput, StructuredOutputMethodOptions } from '@langchain/core/language_models/base';
import type { LangSmithParams } from '@langchain/core/language_models/chat_models';
import {
  type AIMessage,
  AIMessageChunk,
  type BaseMessage,
  type MessageContent,
  ToolMessage,
} from '@langchain/core/messages';
import {
  type ChatGenerationChunk,
  type ChatResult,
  ChatGenerationChunk as GenerationChunk,
} from '@langchain/core/outputs';
import type { Runnable } from '@langchain/core/runnables';
import type { SerializableSchema } from '@langchain/core/utils/standard_schema';
import type { InteropZodType } from '@langchain/core/utils/types';
import {
  type BaseChatOpenAIFields,
  ChatOpenAICompletions,
  type ChatOpenAICompletionsCallOptions,
} from '@langchain/openai';
import { toVeniceParameters, type VeniceParameters } from '@venice-x402/core';
import {
  createPaidClient,
  failFastOnX402,
  type PaidClient,
  splitCredentials,
  type VeniceCredentials,
} from './paid-client.js';

export interface ChatVeniceX402CallOptions extends ChatOpenAICompletionsCallOptions {
  /** Venice's `venice_parameters` for this call (merged over the constructor's). */
  veniceParameters?: VeniceParameters;
}

export interface ChatVeniceX402Fields
  extends Omit<BaseChatOpenAIFields, 'apiKey' | 'openAIApiKey' | 'configuration'>,
    VeniceCredentials {
  model: string;
  veniceParameters?: VeniceParameters;
}

type StructuredSchema<T extends Record<string, any>> = InteropZodType<T> | SerializableSchema<T> | Record<string, any>;

/** The OpenAI SDK insists on a key; the paid fetch replaces or strips it, so this never leaves the process. */
const PLACEHOLDER_KEY = 'x402-wallet-auth';

/**
 * Venice chat through the paid fetch: Sign-In-With-X + prepaid balance (or a Bearer key), under the
 * budget. Always `/chat/completions`. The key lives only inside the fetch closure — never in fields,
 * `configuration`, `toJSON()`, `util.inspect` or callbacks.
 */
export class ChatVeniceX402 extends ChatOpenAICompletions<ChatVeniceX402CallOptions> {
  static override lc_name() {
    return 'ChatVeniceX402';
  }

  override get lc_secrets(): { [key: string]: string } | undefined {
    return undefined;
  }

  override get callKeys() {
    return [...super.callKeys, 'veniceParameters'];
  }

  veniceParameters?: VeniceParameters;

  readonly #paid: PaidClient;

  constructor(fields: ChatVeniceX402Fields) {
    const [credentials, rest] = splitCredentials(fields);
    const paid = createPaidClient(credentials);
    super({
      onFailedAttempt: failFastOnX402,
      ...rest,
      apiKey: PLACEHOLDER_KEY,
      configuration: { baseURL: paid.baseURL, fetch: paid.fetch },
    });
    this.#paid = paid;
    this.veniceParameters = fields.veniceParameters;
  }

  /** The shared spending policy this model charges. */
  get budget() {
    return this.#paid.budget;
  }

  override _llmType() {
    return 'venice-x402';
  }

  /**
   * Counted here, ≈ 4 characters per token: the inherited count loads tiktoken data from a public website, a
   * request outside the paid fetch that Venice users did not ask for (and that stalls for minutes offline).
   * Billing never uses it: cost comes from the server's usage.
   */
  override async getNumTokens(content: MessageContent): Promise<number> {
    const text =
      typeof content === 'string'
        ? content
        : content.map((part) => (part.type === 'text' && 'text' in part ? String(part.text) : '')).join('');
    return Math.ceil(text.length / 4);
  }

  override getLsParams(options: this['ParsedCallOptions']): LangSmithParams {
    return { ...super.getLsParams(options), ls_provider: 'venice' };
  }

  override invocationParams(
    options?: this['ParsedCallOptions'],
    extra?: { streaming?: boolean },
  ): ReturnType<ChatOpenAICompletions['invocationParams']> {
    const params = super.invocationParams(options, extra) as ReturnType<ChatOpenAICompletions['invocationParams']> &
      Record<string, unknown>;
    const merged = { ...this.veniceParameters, ...options?.veniceParameters };
    if (Object.keys(merged).length > 0) params.venice_parameters = toVeniceParameters(merged);
    return params;
  }

  override async _generate(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const result = await super._generate(messages, options, runManager);
    for (const generation of result.generations) {
      const message = generation.message as AIMessage;
      const made = (message.tool_calls ?? []).map((call) => call.id);
      const meta = message.response_metadata as Record<string, unknown>;
      Object.assign(meta, this.#costMetadata(messages, message.id, made));
      meta.model ??= meta.model_name ?? this.model; // LangChain's standard key, next to OpenAI's model_name
    }
    return result;
  }

  override async *_streamResponseChunks(
    messages: BaseMessage[],
    options: this['ParsedCallOptions'],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<ChatGenerationChunk> {
    let id: string | undefined;
    const made: (string | undefined)[] = [];
    for await (const chunk of super._streamResponseChunks(messages, options, runManager)) {
      id ??= chunk.message.id;
      for (const call of (chunk.message as AIMessageChunk).tool_call_chunks ?? []) made.push(call.id);
      yield chunk;
    }
    if (!id) return;
    // The stream has been read to its end, so the call is settled: its outcome goes out as a last, empty chunk.
    const response_metadata = { ...this.#costMetadata(messages, id, made), model: this.model };
    const chunk = new GenerationChunk({
      text: '',
      message: new AIMessageChunk({ content: '', id, response_metadata }),
    });
    // As every chunk is: LangGraph's `messages` stream mode hears of chunks through this callback only.
    await runManager?.handleLLMNewToken('', undefined, undefined, undefined, undefined, { chunk });
    yield chunk;
  }

  /**
   * What a call cost, as `invoke` and `stream` report it: cost, balance, budget left, payment, and `totalCostUsd`,
   * the agent run's total so far (this call plus the earlier calls whose tool results `messages` carries).
   */
  #costMetadata(messages: BaseMessage[], id: string | undefined, made: (string | undefined)[]) {
    const outcome = this.#paid.outcome(id);
    const answered = messages.filter(ToolMessage.isInstance).map((m) => m.tool_call_id);
    const totalCostUsd = this.#paid.runCosts.add(
      outcome?.costUsd,
      answered,
      made.filter((c): c is string => !!c),
    );
    if (!outcome) return {};
    const { costUsd, balanceRemainingUsd, budgetRemainingUsd, paymentTx, tee } = outcome;
    return Object.fromEntries(
      Object.entries({ costUsd, balanceRemainingUsd, budgetRemainingUsd, paymentTx, totalCostUsd, tee }).filter(
        ([, v]) => v !== undefined,
      ),
    );
  }

  /** Structured output defaults to function calling (Venice supports tools on most text models). */
  override withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    outputSchema: StructuredSchema<RunOutput>,
    config?: StructuredOutputMethodOptions<false>,
  ): Runnable<BaseLanguageModelInput, RunOutput>;
  override withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    outputSchema: StructuredSchema<RunOutput>,
    config?: StructuredOutputMethodOptions<true>,
  ): Runnable<BaseLanguageModelInput, { raw: BaseMessage; parsed: RunOutput }>;
  override withStructuredOutput<RunOutput extends Record<string, any> = Record<string, any>>(
    outputSchema: StructuredSchema<RunOutput>,
    config?: StructuredOutputMethodOptions<boolean>,
  ) {
    return super.withStructuredOutput<RunOutput>(outputSchema, {
      ...config,
      method: config?.method ?? 'functionCalling',
    } as StructuredOutputMethodOptions<boolean>);
  }
}
