import type { SharedV3Warning, SpeechModelV3, SpeechModelV3CallOptions } from '@ai-sdk/provider';
import {
  combineHeaders,
  createBinaryResponseHandler,
  createJsonErrorResponseHandler,
  type FetchFunction,
  postJsonToApi,
} from '@ai-sdk/provider-utils';
import { veniceErrorStructure } from './venice-error.js';
import { metadataFromHeaders } from './venice-metadata.js';

export interface VeniceMediaConfig {
  provider: string;
  url: (path: string) => string;
  headers: () => Record<string, string | undefined>;
  fetch: FetchFunction;
}

const FORMATS = new Set(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']);

/** `POST /audio/speech` (OpenAI-compatible body: model, input, voice, response_format, speed). */
export class VeniceSpeechModel implements SpeechModelV3 {
  readonly specificationVersion = 'v3' as const;
  constructor(
    readonly modelId: string,
    private readonly config: VeniceMediaConfig,
  ) {}

  get provider() {
    return this.config.provider;
  }

  async doGenerate(options: SpeechModelV3CallOptions) {
    const warnings: SharedV3Warning[] = [];
    const format = options.outputFormat ?? 'mp3';
    if (!FORMATS.has(format))
      warnings.push({ type: 'unsupported', feature: 'outputFormat', details: `${format} is not supported; using mp3` });
    if (options.instructions) warnings.push({ type: 'unsupported', feature: 'instructions' });
    if (options.language) warnings.push({ type: 'unsupported', feature: 'language' });
    const body = {
      model: this.modelId,
      input: options.text,
      voice: options.voice ?? 'af_sky',
      response_format: FORMATS.has(format) ? format : 'mp3',
      ...(options.speed === undefined ? {} : { speed: options.speed }),
    };
    const {
      value: audio,
      responseHeaders,
      rawValue,
    } = await postJsonToApi({
      url: this.config.url('/audio/speech'),
      headers: combineHeaders(this.config.headers(), options.headers),
      body,
      failedResponseHandler: createJsonErrorResponseHandler(veniceErrorStructure),
      successfulResponseHandler: createBinaryResponseHandler(),
      abortSignal: options.abortSignal,
      fetch: this.config.fetch,
    });
    const venice = metadataFromHeaders(responseHeaders);
    return {
      audio,
      warnings,
      request: { body: JSON.stringify(body) },
      response: { timestamp: new Date(), modelId: this.modelId, headers: responseHeaders, body: rawValue },
      providerMetadata: Object.keys(venice).length ? { venice: { ...venice } } : undefined,
    };
  }
}
