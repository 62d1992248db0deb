import type {
  JSONObject,
  SharedV3Warning,
  Experimental_VideoModelV3 as VideoModelV3,
  Experimental_VideoModelV3CallOptions as VideoModelV3CallOptions,
  Experimental_VideoModelV3File as VideoModelV3File,
} from '@ai-sdk/provider';
import { convertToBase64 } from '@ai-sdk/provider-utils';
import type { JobResult } from '@venice-x402/core';
import type { VeniceJobModelConfig } from './venice-jobs-config.js';

/** A file as a URL Venice can read: a URL as is, bytes as a data URL. */
const fileUrl = (file: VideoModelV3File) =>
  file.type === 'url' ? file.url : `data:${file.mediaType};base64,${convertToBase64(file.data)}`;

/** `1280x720` → `720p`: Venice names a resolution by its shorter side. */
const resolutionOf = (size: `${number}x${number}`) => {
  const [w, h] = size.split('x').map(Number);
  return `${Math.min(w!, h!)}p`;
};

/** What a finished job puts in `providerMetadata.venice`. */
export const jobMetadata = (job: JobResult): JSONObject => ({
  costUsd: job.costUsd,
  queueId: job.queueId,
  requestId: job.queueId,
  ...(job.downloadUrl ? { downloadUrl: job.downloadUrl } : {}),
});

/**
 * `experimental_generateVideo` on Venice (`VideoModelV3`, ai@6 and ai@7): one job per video through the core job
 * lifecycle — quoted, held at exactly its quote, queued, polled, downloaded, cleaned up; a failed job is refunded
 * to the budget and thrown as JobFailedError. `providerMetadata.venice` carries `costUsd` and the job's `queueId`.
 * `providerOptions.venice` adds Venice's own body keys (`negative_prompt`, …).
 */
export class VeniceVideoModel implements VideoModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly maxVideosPerCall = 1;

  constructor(
    readonly modelId: string,
    private readonly config: VeniceJobModelConfig,
  ) {}

  get provider() {
    return this.config.provider;
  }

  async doGenerate(options: VideoModelV3CallOptions) {
    const warnings: SharedV3Warning[] = [];
    for (const feature of ['fps', 'seed'] as const)
      if (options[feature] !== undefined) warnings.push({ type: 'unsupported', feature });
    const body: Record<string, unknown> = { ...(options.providerOptions?.venice ?? {}), model: this.modelId };
    if (options.prompt !== undefined) body.prompt = options.prompt;
    if (options.duration !== undefined) body.duration = `${options.duration}s`;
    if (options.resolution !== undefined) body.resolution = resolutionOf(options.resolution);
    if (options.aspectRatio !== undefined && options.aspectRatio !== 'adaptive')
      body.aspect_ratio = options.aspectRatio;
    if (options.generateAudio !== undefined) body.audio = options.generateAudio;
    const first = options.image ?? options.frameImages?.find((f) => f.frameType === 'first_frame')?.image;
    const last = options.frameImages?.find((f) => f.frameType === 'last_frame')?.image;
    if (first) body.image_url = fileUrl(first);
    if (last) body.end_image_url = fileUrl(last);
    const references = options.inputReferences ?? [];
    const images = references.filter((r) => !r.mediaType?.startsWith('video/')).map(fileUrl);
    const videos = references.filter((r) => r.mediaType?.startsWith('video/')).map(fileUrl);
    if (images.length) body.reference_image_urls = images;
    if (videos.length) body.reference_video_urls = videos;

    const job = await this.config.jobs().run('video', body, {
      signal: options.abortSignal,
      onProgress: this.config.onProgress,
    });
    return {
      videos: [{ type: 'binary' as const, data: job.media.bytes, mediaType: job.media.mediaType }],
      warnings,
      providerMetadata: { venice: jobMetadata(job) },
      response: { timestamp: new Date(), modelId: this.modelId, headers: undefined },
    };
  }
}
