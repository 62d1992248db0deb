import {
  type EmbeddingModelV3,
  type Experimental_VideoModelV3,
  type ImageModelV3,
  InvalidArgumentError,
  type LanguageModelV3,
  NoSuchModelError,
  type ProviderV3,
  type SpeechModelV3,
  type TranscriptionModelV3,
} from '@ai-sdk/provider';
import { type FetchFunction, withUserAgentSuffix } from '@ai-sdk/provider-utils';
import { type Budget, createVeniceJobs, type VeniceJobs, type Wallet } from '@venice-x402/core';
import { createLazyVeniceFetch, type VeniceCredentials } from '@venice-x402/fetch';
import { RunCosts } from '@venice-x402/fetch/internal';
import { notingOutcomes } from './venice-call-outcome.js';
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
import { type VeniceImageEdit, VeniceImageEditModel } from './venice-image-edit-model.js';
import type { VeniceJobSettings } from './venice-jobs-config.js';
import { VeniceMusicModel } from './venice-music-model.js';
import { VeniceSpeechModel } from './venice-speech-model.js';
import { VeniceTranscriptionModel } from './venice-transcription-model.js';
import { VeniceVideoModel } from './venice-video-model.js';
import { VERSION } from './version.js';

export interface VeniceProviderSettings extends VeniceCredentials {
  headers?: Record<string, string>;
  /** How video and music jobs are polled (interval, back-off cap, progress callback; an injected clock for tests). */
  jobs?: VeniceJobSettings;
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
  /** `experimental_generateVideo`: a Venice video job (quoted, held at its quote, polled, downloaded). */
  video(modelId: string): Experimental_VideoModelV3;
  videoModel(modelId: string): Experimental_VideoModelV3;
  /** Music as a speech model (`generateSpeech({ model: venice.music(id), text: prompt })`): a Venice audio job. */
  music(modelId: string): SpeechModelV3;
  /** `generateImage({ model: venice.upscale(), prompt: { images: [image] } })` → `/image/upscale`. */
  upscale(modelId?: string): ImageModelV3;
  /** `generateImage({ model: venice.backgroundRemoval(), prompt: { images: [image] } })` → `/image/background-remove`. */
  backgroundRemoval(modelId?: string): ImageModelV3;
  /** The paying wallet (undefined in API-key mode). Resolving it reads the environment for the default instance. */
  readonly wallet: Wallet | undefined;
  readonly budget: Budget;
  /** The video and music jobs of this provider's wallet and budget: `pending()` after a restart, `wait(job)` to settle. */
  readonly jobs: VeniceJobs;
}

/**
 * A Venice provider whose every call goes through the paid fetch: Sign-In-With-X + prepaid balance
 * (auto top-up within the budget), or a Bearer key — always under the budget.
 * Credentials are read when the first call is made, so a missing key fails that call, not the import.
 */
export function createVenice(settings: VeniceProviderSettings = {}): VeniceProvider {
  const { headers: extraHeaders, jobs: jobSettings = {}, ...credentials } = settings;
  const paid = createLazyVeniceFetch(credentials);
  const paidFetch = notingOutcomes(paid.fetch as FetchFunction);
  const headers = () => withUserAgentSuffix(extraHeaders ?? {}, `venice-x402/ai-sdk/${VERSION}`);
  const url = ({ path }: { path: string }) => `${paid.baseURL}${path}`;
  const common = { provider: 'venice', url, headers, fetch: paidFetch };
  const runCosts = new RunCosts();

  const chat = (modelId: string) =>
    new VeniceChatLanguageModel(
      modelId,
      {
        ...common,
        provider: 'venice.chat',
        includeUsage: true,
        supportsStructuredOutputs: true,
        errorStructure: veniceErrorStructure,
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
      runCosts,
    );
  const embedding = (modelId: string) =>
    new VeniceEmbeddingModel(modelId, {
      ...common,
      provider: 'venice.embedding',
      errorStructure: veniceErrorStructure,
      // The model batches by 2,048 itself, so that one call's cost is the sum of its requests.
      maxEmbeddingsPerCall: Number.MAX_SAFE_INTEGER,
    });
  const media = { provider: 'venice', url: (path: string) => `${paid.baseURL}${path}`, headers, fetch: paidFetch };
  const edit = (kind: VeniceImageEdit) => (modelId: string) =>
    new VeniceImageEditModel(modelId, kind, { ...media, provider: 'venice.image' });
  const image = (modelId: string) =>
    new VeniceImageModel(
      modelId,
      { ...common, provider: 'venice.image', errorStructure: veniceErrorStructure },
      edit('edit')(modelId),
    );
  const { onProgress, ...polling } = jobSettings;
  const jobs = () => createVeniceJobs({ ...polling, fetch: paid.fetch, budget: paid.budget, baseURL: paid.baseURL });
  const video = (modelId: string) => new VeniceVideoModel(modelId, { provider: 'venice.video', jobs, onProgress });
  const music = (modelId: string) => new VeniceMusicModel(modelId, { provider: 'venice.music', jobs, onProgress });
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
    video,
    videoModel: video,
    music,
    upscale: (modelId = 'upscaler') => edit('upscale')(modelId),
    backgroundRemoval: (modelId = 'bria-bg-remover') => edit('background-remove')(modelId),
  });
  Object.defineProperty(provider, 'budget', { get: () => paid.budget, enumerable: false });
  Object.defineProperty(provider, 'jobs', { get: jobs, enumerable: false });
  Object.defineProperty(provider, 'wallet', { get: () => paid.wallet(), enumerable: false });
  return provider;
}

/** Default instance: credentials from VENICE_WALLET_KEY / VENICE_API_KEY, base URL from VENICE_BASE_URL (read lazily). */
export const venice = createVenice();
