import {
  OpenAICompatibleChatLanguageModel,
  OpenAICompatibleEmbeddingModel,
  OpenAICompatibleImageModel,
} from '@ai-sdk/openai-compatible';
import type {
  EmbeddingModelV3,
  ImageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider';
import { mergeVenice, metadataFromHeaders, prune } from './venice-metadata.js';

type Remaining = () => Promise<number | undefined>;
type OpenAICompatibleChatConfig = ConstructorParameters<typeof OpenAICompatibleChatLanguageModel>[1];

/**
 * The openai-compatible chat model, plus `providerMetadata.venice` (cost, balance, payment tx, budget left)
 * on results and on the stream's finish part. Everything else — auth, payment, budget — is the paid fetch's.
 */
export class VeniceChatLanguageModel extends OpenAICompatibleChatLanguageModel {
  constructor(
    modelId: string,
    config: OpenAICompatibleChatConfig,
    private readonly budgetRemaining: Remaining,
  ) {
    super(modelId, config);
  }

  override async doGenerate(options: LanguageModelV3CallOptions) {
    const result = await super.doGenerate(options);
    return {
      ...result,
      providerMetadata: mergeVenice(result.providerMetadata, metadataFromHeaders(result.response?.headers)),
    };
  }

  override async doStream(options: LanguageModelV3CallOptions) {
    const result = await super.doStream(options);
    const remaining = this.budgetRemaining;
    const headers = metadataFromHeaders(result.response?.headers);
    const stream = result.stream.pipeThrough(
      new TransformStream<LanguageModelV3StreamPart, LanguageModelV3StreamPart>({
        async transform(part, controller) {
          if (part.type === 'finish') {
            const budgetRemainingUsd = await remaining().catch(() => undefined);
            controller.enqueue({
              ...part,
              providerMetadata: mergeVenice(part.providerMetadata, prune({ ...headers, budgetRemainingUsd })),
            });
            return;
          }
          controller.enqueue(part);
        },
      }),
    );
    return { ...result, stream };
  }
}

export class VeniceEmbeddingModel extends OpenAICompatibleEmbeddingModel {
  override async doEmbed(options: Parameters<EmbeddingModelV3['doEmbed']>[0]) {
    const result = await super.doEmbed(options);
    return {
      ...result,
      providerMetadata: mergeVenice(result.providerMetadata, metadataFromHeaders(result.response?.headers)),
    };
  }
}

export class VeniceImageModel extends OpenAICompatibleImageModel {
  override async doGenerate(options: Parameters<ImageModelV3['doGenerate']>[0]) {
    const result = await super.doGenerate(options);
    const meta = metadataFromHeaders(result.response?.headers);
    if (Object.keys(meta).length === 0) return result;
    return { ...result, providerMetadata: { ...result.providerMetadata, venice: { images: [], ...meta } } };
  }
}
