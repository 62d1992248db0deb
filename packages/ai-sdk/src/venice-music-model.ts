import type { SharedV3Warning, SpeechModelV3, SpeechModelV3CallOptions } from '@ai-sdk/provider';
import type { VeniceJobModelConfig } from './venice-jobs-config.js';
import { jobMetadata } from './venice-video-model.js';

/**
 * Music on Venice (`/audio/queue|retrieve|complete`) as an AI SDK speech model: the AI SDK has no music call, and
 * `generateSpeech` (`experimental_generateSpeech`) is its text → audio shape — the prompt is `text`, the song comes
 * back as the audio file, cost and job id in `providerMetadata.venice`. `providerOptions.venice` adds Venice's own
 * keys (`duration_seconds`, `lyrics_prompt`, `force_instrumental`, …). The job runs through the core lifecycle:
 * held at its quote, polled, downloaded, cleaned up; a failed job is refunded and thrown as JobFailedError.
 */
export class VeniceMusicModel implements SpeechModelV3 {
  readonly specificationVersion = 'v3' as const;

  constructor(
    readonly modelId: string,
    private readonly config: VeniceJobModelConfig,
  ) {}

  get provider() {
    return this.config.provider;
  }

  async doGenerate(options: SpeechModelV3CallOptions) {
    const warnings: SharedV3Warning[] = [];
    if (options.outputFormat) warnings.push({ type: 'unsupported', feature: 'outputFormat' });
    if (options.instructions) warnings.push({ type: 'unsupported', feature: 'instructions' });
    const body: Record<string, unknown> = {
      ...((options.providerOptions?.venice ?? {}) as Record<string, unknown>),
      model: this.modelId,
      prompt: options.text,
    };
    if (options.voice !== undefined) body.voice = options.voice;
    if (options.speed !== undefined) body.speed = options.speed;
    if (options.language !== undefined) body.language_code = options.language;
    const job = await this.config.jobs().run('audio', body, {
      signal: options.abortSignal,
      onProgress: this.config.onProgress,
    });
    return {
      audio: job.media.bytes,
      warnings,
      request: { body: JSON.stringify(body) },
      response: { timestamp: new Date(), modelId: this.modelId },
      providerMetadata: { venice: jobMetadata(job) },
    };
  }
}
