// What users reach for next to the provider, so that one import line is enough.
export {
  type Budget,
  BudgetExceededError,
  type BudgetPolicyInput,
  createBudget,
  createWallet,
  fileStore,
  JobFailedError,
  type JobProgress,
  memoryStore,
  PaymentRequiredError,
  PolicyDeniedError,
  redisStore,
  type Wallet,
} from '@venice-x402/core';
export { VeniceChatLanguageModel, VeniceEmbeddingModel, VeniceImageModel } from './venice-chat-language-model.js';
export {
  type VeniceChatModelId,
  type VeniceChatProviderOptions,
  type VeniceEmbeddingModelId,
  type VeniceImageModelId,
  type VeniceParameters,
  type VeniceProviderOptions,
  type VeniceSpeechModelId,
  type VeniceTranscriptionModelId,
  veniceParametersSchema,
} from './venice-chat-options.js';
export { type VeniceImageEdit, VeniceImageEditModel } from './venice-image-edit-model.js';
export type { VeniceJobSettings } from './venice-jobs-config.js';
export type { VeniceCallMetadata } from './venice-metadata.js';
export { VeniceMusicModel } from './venice-music-model.js';
export { createVenice, type VeniceProvider, type VeniceProviderSettings, venice } from './venice-provider.js';
export { VeniceSpeechModel } from './venice-speech-model.js';
export { VeniceTranscriptionModel } from './venice-transcription-model.js';
export { VeniceVideoModel } from './venice-video-model.js';
export { VERSION } from './version.js';
