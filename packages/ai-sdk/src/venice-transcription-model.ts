import type { SharedV3Warning, TranscriptionModelV3, TranscriptionModelV3CallOptions } from '@ai-sdk/provider';
import {
  combineHeaders,
  convertBase64ToUint8Array,
  createJsonErrorResponseHandler,
  createJsonResponseHandler,
  mediaTypeToExtension,
  postFormDataToApi,
} from '@ai-sdk/provider-utils';
import { z } from 'zod/v4';
import { veniceErrorStructure } from './venice-error.js';
import { metadataFromHeaders } from './venice-metadata.js';
import type { VeniceMediaConfig } from './venice-speech-model.js';

const responseSchema = z.object({
  text: z.string(),
  duration: z.number().optional(),
  language: z.string().optional(),
  segments: z.array(z.object({ text: z.string(), start: z.number(), end: z.number() }).loose()).optional(),
});

/** `POST /audio/transcriptions` (multipart: file, model). */
export class VeniceTranscriptionModel implements TranscriptionModelV3 {
  readonly specificationVersion = 'v3' as const;
  constructor(
    readonly modelId: string,
    private readonly config: VeniceMediaConfig,
  ) {}

  get provider() {
    return this.config.provider;
  }

  async doGenerate(options: TranscriptionModelV3CallOptions) {
    const warnings: SharedV3Warning[] = [];
    const bytes = typeof options.audio === 'string' ? convertBase64ToUint8Array(options.audio) : options.audio;
    const form = new FormData();
    form.append('model', this.modelId);
    form.append(
      'file',
      new Blob([bytes as Uint8Array<ArrayBuffer>], { type: options.mediaType }),
      `audio.${mediaTypeToExtension(options.mediaType) || 'wav'}`,
    );
    const { value, responseHeaders, rawValue } = await postFormDataToApi({
      url: this.config.url('/audio/transcriptions'),
      headers: combineHeaders(this.config.headers(), options.headers),
      formData: form,
      failedResponseHandler: createJsonErrorResponseHandler(veniceErrorStructure),
      successfulResponseHandler: createJsonResponseHandler(responseSchema),
      abortSignal: options.abortSignal,
      fetch: this.config.fetch,
    });
    const venice = metadataFromHeaders(responseHeaders);
    return {
      text: value.text,
      segments: (value.segments ?? []).map((s) => ({ text: s.text, startSecond: s.start, endSecond: s.end })),
      language: value.language,
      durationInSeconds: value.duration,
      warnings,
      response: { timestamp: new Date(), modelId: this.modelId, headers: responseHeaders, body: rawValue },
      providerMetadata: Object.keys(venice).length ? { venice: { ...venice } } : undefined,
    };
  }
}
