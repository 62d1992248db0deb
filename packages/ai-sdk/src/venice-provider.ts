import {
  type EmbeddingModelV3,
  type ImageModelV3,
  InvalidArgumentError,
  type LanguageModelV3,
  LoadAPIKeyError,
  NoSuchModelError,
  type ProviderV3,
  type SpeechModelV3,
  type TranscriptionModelV3,
} from '@ai-sdk/provider';
import { type FetchFunction, withoutTrailingSlash, withUserAgentSuffix } from '@ai-sdk/provider-utils';
import { type Budget, createBudget, createWallet, DEFAULT_BASE_URL, type Wallet } from '@venice-x402/core';
import { createX402Fetch } from '@venice-x402/fetch';
import { VeniceChatLanguageModel, VeniceEmbeddingModel, VeniceImageModel } from './venice-chat-language-model.js';
import {
  toVeniceParameters,
  type VeniceChatModelId,
  type VeniceEmbeddingModelId,
  type VeniceImageModelId,
  type VeniceSpeechModelId,
  type VeniceTranscriptionModelId,
} from './venice-chat-options.js';
import { veniceErrorStructure } from './venice-error.js';
import { costExtractor } from './venice-metadata.js';
import { VeniceSpeechModel } from './venice-speech-model.js';
import { VeniceTranscriptionModel } from './venice-transcription-model.js';
import { VERSION } from './version.js';

export interface VeniceProviderSettings {
  /** 0x private key of the paying wallet. Default: `VENICE_WALLET_KEY`. */
  privateKey?: string;
  /** A wallet from `createWallet()` (any signer: viem account, browser wallet, KMS). */
  wallet?: Wallet;
  /** Venice API key instead of a wallet. Default: `VENICE_API_KEY` when no wallet key is set. */
  apiKey?: string;
  /** The spending policy shared with other providers and agents. Default: an unlimited, tracked budget. */
  budget?: Budget;
  /** Default: `VENICE_BASE_URL` or `https://api.venice.ai/api/v1`. */
  baseURL?: string;
  headers?: Record<string, string>;
  /** Transport under the paid fetch (tests, proxies). */
  fetch?: FetchFunction;
  /** Budget scope chain for this provider's calls, e.g. `agent:planner`. */
  scope?: string | readonly string[];
}

export interface VeniceProvider extends ProviderV3 {
  (modelId: VeniceChatModelId): LanguageModelV3;
  languageModel(modelId: VeniceChatModelId): LanguageModelV3;
  chat(modelId: VeniceChatModelId): LanguageModelV3;
  embedding(modelId: VeniceEmbeddingModelId): EmbeddingModelV3;
  embeddingModel(modelId: VeniceEmbeddingModelId): EmbeddingModelV3;
  textEmbeddingModel(modelId: VeniceEmbeddingModelId): EmbeddingModelV3;
  image(modelId: VeniceImageModelId): ImageModelV3;
  imageModel(modelId: VeniceImageModelId): ImageModelV3;
  speech(modelId: VeniceSpeechModelId): SpeechModelV3;
  speechModel(modelId: VeniceSpeechModelId): SpeechModelV3;
  transcription(modelId: VeniceTranscriptionModelId): TranscriptionModelV3;
  transcriptionModel(modelId: VeniceTranscriptionModelId): TranscriptionModelV3;
  /** The paying wallet (undefined in API-key mode). Resolving it reads the environment for the default instance. */
  readonly wallet: Wallet | undefined;
  readonly budget: Budget;
}

/**
 * A Venice provider whose every call goes through the paid fetch: Sign-In-With-X + prepaid balance
 * (auto top-up within the budget), or a Bearer key — always under the budget.
 * Credentials are read when the first call is made, so a missing key fails that call, not the import.
 */
export function createVenice(settings: VeniceProviderSettings = {}): VeniceProvider {
  const budget = settings.budget ?? createBudget();
  let resolved: { wallet?: Wallet; fetch: typeof fetch; baseURL: string } | undefined;

  const resolve = () => {
    if (resolved) return resolved;
    const baseURL = withoutTrailingSlash(settings.baseURL ?? process.env.VENICE_BASE_URL ?? DEFAULT_BASE_URL)!;
    const explicit = settings.privateKey || settings.wallet || settings.apiKey;
    const privateKey = settings.privateKey ?? (explicit ? undefined : process.env.VENICE_WALLET_KEY);
    const apiKey = settings.apiKey ?? (explicit || privateKey ? undefined : process.env.VENICE_API_KEY);
    const wallet = settings.wallet ?? (privateKey ? createWallet({ privateKey }, { baseURL }) : undefined);
    if (!wallet && !apiKey) {
      throw new LoadAPIKeyError({
        message:
          'Venice credentials are missing: pass privateKey, wallet or apiKey, or set VENICE_WALLET_KEY or VENICE_API_KEY.',
      });
    }
    const paid = createX402Fetch({ wallet, apiKey, budget, baseURL, fetch: settings.fetch, scope: settings.scope });
    resolved = { wallet, fetch: paid, baseURL };
    return resolved;
  };

  const baseURLNow = () => resolve().baseURL;
  const paidFetch: FetchFunction = (input, init) => resolve().fetch(input as RequestInfo, init);
  const headers = () => withUserAgentSuffix(settings.headers ?? {}, `venice-x402/ai-sdk/${VERSION}`);
  const url = ({ path }: { path: string }) => `${baseURLNow()}${path}`;
  const common = { provider: 'venice', url, headers, fetch: paidFetch };
  const remaining = () => budget.remaining(settings.scope);

  const chat = (modelId: string) =>
    new VeniceChatLanguageModel(
      modelId,
      {
        ...common,
        provider: 'venice.chat',
        includeUsage: true,
        supportsStructuredOutputs: true,
        errorStructure: veniceErrorStructure,
        metadataExtractor: costExtractor,
        transformRequestBody: (args: Record<string, any>) => {
          const { veniceParameters, ...rest } = args;
          if (veniceParameters === undefined) return rest;
          try {
            return { ...rest, venice_parameters: toVeniceParameters(veniceParameters) };
          } catch (error) {
            throw new InvalidArgumentError({
              argument: 'providerOptions.venice.veniceParameters',
              message: (error as Error).message,
              cause: error,
            });
          }
        },
      },
      remaining,
    );
  const embedding = (modelId: string) =>
    new VeniceEmbeddingModel(modelId, {
      ...common,
      provider: 'venice.embedding',
      errorStructure: veniceErrorStructure,
      maxEmbeddingsPerCall: 2048,
    });
  const image = (modelId: string) =>
    new VeniceImageModel(modelId, { ...common, provider: 'venice.image', errorStructure: veniceErrorStructure });
  const media = { provider: 'venice', url: (path: string) => `${baseURLNow()}${path}`, headers, fetch: paidFetch };
  const speech = (modelId: string) => new VeniceSpeechModel(modelId, { ...media, provider: 'venice.speech' });
  const transcription = (modelId: string) =>
    new VeniceTranscriptionModel(modelId, { ...media, provider: 'venice.transcription' });

  const provider = ((modelId: string) => {
    if (new.target)
      throw new NoSuchModelError({
        modelId,
        modelType: 'languageModel',
        message: 'createVenice() returns a function; call it without new',
      });
    return chat(modelId);
  }) as unknown as VeniceProvider;
  Object.assign(provider, {
    specificationVersion: 'v3',
    languageModel: chat,
    chat,
    embedding,
    embeddingModel: embedding,
    textEmbeddingModel: embedding,
    image,
    imageModel: image,
    speech,
    speechModel: speech,
    transcription,
    transcriptionModel: transcription,
  });
  Object.defineProperty(provider, 'budget', { value: budget, enumerable: false });
  Object.defineProperty(provider, 'wallet', { get: () => resolve().wallet, enumerable: false });
  return provider;
}

/** Default instance: credentials from VENICE_WALLET_KEY / VENICE_API_KEY, base URL from VENICE_BASE_URL (read lazily). */
export const venice = createVenice();
