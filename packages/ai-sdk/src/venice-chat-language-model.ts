import {
  OpenAICompatibleChatLanguageModel,
  OpenAICompatibleEmbeddingModel,
  OpenAICompatibleImageModel,
} from '@ai-sdk/openai-compatible';
import type {
  EmbeddingModelV3,
  ImageModelV3,
  JSONObject,
  LanguageModelV3CallOptions,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider';
import { readOutcome } from '@venice-x402/fetch';
import { RunCosts } from '@venice-x402/fetch/internal';
import { withOutcome } from './venice-call-outcome.js';
import { mergeVenice, metadataFromHeaders, metadataOf, prune, type VeniceCallMetadata } from './venice-metadata.js';

type OpenAICompatibleChatConfig = ConstructorParameters<typeof OpenAICompatibleChatLanguageModel>[1];

/**
 * The openai-compatible chat model, plus `providerMetadata.venice` (cost, balance, payment tx, budget left, the
 * agent run's total) on results and on the stream's finish part, from the paid fetch's settlement of the call.
 * Everything else — auth, payment, budget — is the paid fetch's.
 */
export class VeniceChatLanguageModel extends OpenAICompatibleChatLanguageModel {
  constructor(
    modelId: string,
    config: OpenAICompatibleChatConfig,
    private readonly runCosts: RunCosts = new RunCosts(),
  ) {
    super(modelId, config);
  }

  override async doGenerate(options: LanguageModelV3CallOptions) {
    const result = await super.doGenerate(options);
    const made = result.content.flatMap((part) => (part.type === 'tool-call' ? [part.toolCallId] : []));
    const meta = this.#withRunTotal(metadataFromHeaders(result.response?.headers), options, made);
    return { ...result, providerMetadata: mergeVenice(result.providerMetadata, meta) };
  }

  override async doStream(options: LanguageModelV3CallOptions) {
    const { result, settled } = await withOutcome(() => super.doStream(options));
    const atStart = readOutcome(result.response?.headers);
    const made: string[] = [];
    const withRunTotal = (meta: VeniceCallMetadata) => this.#withRunTotal(meta, options, made);
    const stream = result.stream.pipeThrough(
      new TransformStream<LanguageModelV3StreamPart, LanguageModelV3StreamPart>({
        async transform(part, controller) {
          if (part.type === 'tool-call') made.push(part.toolCallId);
          if (part.type === 'finish') {
            // The finish part follows the end of the body, and a body ends once its call is settled.
            const meta = withRunTotal(metadataOf((await settled) ?? atStart));
            controller.enqueue({ ...part, providerMetadata: mergeVenice(part.providerMetadata, meta) });
            return;
          }
          controller.enqueue(part);
        },
      }),
    );
    return { ...result, stream };
  }

  /** Adds the agent run's total: this step and the earlier steps whose tool calls its prompt answers. */
  #withRunTotal(meta: VeniceCallMetadata, options: LanguageModelV3CallOptions, made: string[]): VeniceCallMetadata {
    const answered = options.prompt.flatMap((message) =>
      message.role === 'tool'
        ? message.content.flatMap((part) => (part.type === 'tool-result' ? [part.toolCallId] : []))
        : [],
    );
    return prune({ ...meta, totalCostUsd: this.runCosts.add(meta.costUsd, answered, made) });
  }
}

/** Venice takes at most 2,048 inputs per embeddings request. */
export const EMBEDDINGS_PER_REQUEST = 2048;

/**
 * Embeddings: one AI SDK call may need several Venice requests. The model batches them itself (the SDK's
 * own batching merges provider metadata by overwriting, so it would report the last batch's cost only):
 * `providerMetadata.venice.costUsd` is the sum over every request of the call.
 */
export class VeniceEmbeddingModel extends OpenAICompatibleEmbeddingModel {
  override async doEmbed(options: Parameters<EmbeddingModelV3['doEmbed']>[0]) {
    const { values } = options;
    const results = [];
    for (let i = 0; i < values.length || i === 0; i += EMBEDDINGS_PER_REQUEST)
      results.push(await super.doEmbed({ ...options, values: values.slice(i, i + EMBEDDINGS_PER_REQUEST) }));
    const metas = results.map((r) => metadataFromHeaders(r.response?.headers));
    const last = results.at(-1)!;
    const costs = metas.map((m) => m.costUsd).filter((c): c is number => c !== undefined);
    const tokens = results.map((r) => r.usage?.tokens).filter((t): t is number => t !== undefined);
    return {
      ...last,
      embeddings: results.flatMap((r) => r.embeddings),
      usage: tokens.length ? { tokens: tokens.reduce((a, b) => a + b, 0) } : last.usage,
      providerMetadata: mergeVenice(
        last.providerMetadata,
        prune({
          ...metas.at(-1),
          costUsd: costs.length ? Math.round(costs.reduce((a, b) => a + b, 0) * 1e6) / 1e6 : undefined,
        }),
      ),
    };
  }
}

/**
 * Images: `generateImage` keeps only `providerMetadata.<provider>.images` (one entry per image) when it merges
 * calls, so the cost travels there: each image's entry carries its share (`costUsd`) and the request's total
 * (`callCostUsd`), balance and request id. (ai@7 also keeps the whole metadata in `result.calls[i]`.)
 */
export class VeniceImageModel extends OpenAICompatibleImageModel {
  constructor(
    modelId: string,
    config: ConstructorParameters<typeof OpenAICompatibleImageModel>[1],
    /** Input images (`prompt: { images, text }`) make the call an edit of them with this model. */
    private readonly editor?: ImageModelV3,
  ) {
    super(modelId, config);
  }

  override async doGenerate(options: Parameters<ImageModelV3['doGenerate']>[0]) {
    if (options.files?.length && this.editor) return this.editor.doGenerate(options);
    const result = await super.doGenerate(options);
    const meta = metadataFromHeaders(result.response?.headers);
    if (Object.keys(meta).length === 0) return result;
    const n = Math.max(1, result.images.length);
    const share = meta.costUsd === undefined ? undefined : Math.round((meta.costUsd / n) * 1e6) / 1e6;
    const images = result.images.map(() => prune({ ...meta, costUsd: share, callCostUsd: meta.costUsd }) as JSONObject);
    return {
      ...result,
      providerMetadata: { ...result.providerMetadata, venice: { ...(meta as JSONObject), images } },
    };
  }
}
