import {
  type ImageModelV3,
  type ImageModelV3CallOptions,
  type ImageModelV3File,
  InvalidArgumentError,
  type JSONObject,
  type SharedV3Warning,
} from '@ai-sdk/provider';
import {
  combineHeaders,
  convertToBase64,
  createBinaryResponseHandler,
  createJsonErrorResponseHandler,
  postJsonToApi,
} from '@ai-sdk/provider-utils';
import { veniceErrorStructure } from './venice-error.js';
import { metadataFromHeaders, prune } from './venice-metadata.js';
import type { VeniceMediaConfig } from './venice-speech-model.js';

/** What a model does with the images of `generateImage({ prompt: { images, text } })`. */
export type VeniceImageEdit = 'edit' | 'upscale' | 'background-remove';

/** Venice takes at most this many images in one multi-edit. */
const MAX_EDIT_IMAGES = 3;

/** An input image as Venice takes it: a URL as is, bytes as base64. */
const imageInput = (file: ImageModelV3File) => (file.type === 'url' ? file.url : convertToBase64(file.data));

/**
 * Image edits through `generateImage` with input images (`prompt: { images, text }`): one image and a prompt →
 * `/image/edit`, two or three → `/image/multi-edit`; `venice.upscale()` → `/image/upscale` (`providerOptions.venice`
 * carries `scale`, `enhance`, …); `venice.backgroundRemoval()` → `/image/background-remove`. The paid fetch holds
 * each at its catalogue price (per image; an upscale at its 2x or 4x price). One edited image per call; its cost is
 * in `providerMetadata.venice.images[0]` (`costUsd`, `callCostUsd`, `requestId`, …), as for generated images.
 */
export class VeniceImageEditModel implements ImageModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly maxImagesPerCall = 1;

  constructor(
    readonly modelId: string,
    private readonly edit: VeniceImageEdit,
    private readonly config: VeniceMediaConfig,
  ) {}

  get provider() {
    return this.config.provider;
  }

  async doGenerate(options: ImageModelV3CallOptions) {
    const warnings: SharedV3Warning[] = [];
    for (const feature of ['size', 'seed', 'mask'] as const)
      if (options[feature] !== undefined) warnings.push({ type: 'unsupported', feature });
    if (options.aspectRatio !== undefined && !(this.edit === 'edit' && options.files?.length === 1))
      warnings.push({ type: 'unsupported', feature: 'aspectRatio' });
    if (options.n > 1) warnings.push({ type: 'unsupported', feature: 'n', details: 'one edited image per call' });
    const { path, body } = this.request(options);
    const { value, responseHeaders } = await postJsonToApi({
      url: this.config.url(path),
      headers: combineHeaders(this.config.headers(), options.headers),
      body,
      failedResponseHandler: createJsonErrorResponseHandler(veniceErrorStructure),
      successfulResponseHandler: createBinaryResponseHandler(),
      abortSignal: options.abortSignal,
      fetch: this.config.fetch,
    });
    const meta = metadataFromHeaders(responseHeaders);
    const image = prune({ ...meta, callCostUsd: meta.costUsd }) as JSONObject;
    return {
      images: [value],
      warnings,
      providerMetadata: { venice: { ...(meta as JSONObject), images: [image] } },
      response: { timestamp: new Date(), modelId: this.modelId, headers: responseHeaders },
    };
  }

  /** The route and JSON body of this edit; the input images are checked before anything is sent. */
  private request(options: ImageModelV3CallOptions): { path: string; body: Record<string, unknown> } {
    const files = options.files ?? [];
    const extra = (options.providerOptions?.venice ?? {}) as Record<string, unknown>;
    const single = this.edit !== 'edit' || files.length === 1;
    if (files.length === 0 || (single && files.length !== 1) || files.length > MAX_EDIT_IMAGES) {
      throw new InvalidArgumentError({
        argument: 'prompt.images',
        message:
          this.edit === 'edit'
            ? `An image edit takes 1 to ${MAX_EDIT_IMAGES} input images (prompt: { images, text })`
            : `${this.edit === 'upscale' ? 'An upscale' : 'A background removal'} takes exactly 1 input image`,
      });
    }
    if (this.edit === 'edit' && !options.prompt)
      throw new InvalidArgumentError({ argument: 'prompt.text', message: 'An image edit needs a prompt' });
    const model = { model: this.modelId };
    if (this.edit === 'upscale')
      return { path: '/image/upscale', body: { ...extra, ...model, image: imageInput(files[0]!) } };
    if (this.edit === 'background-remove')
      return { path: '/image/background-remove', body: { ...extra, ...model, image: imageInput(files[0]!) } };
    const aspect = options.aspectRatio === undefined || !single ? {} : { aspect_ratio: options.aspectRatio };
    return single
      ? {
          path: '/image/edit',
          body: { ...extra, ...model, ...aspect, prompt: options.prompt, image: imageInput(files[0]!) },
        }
      : {
          path: '/image/multi-edit',
          body: { ...extra, ...model, prompt: options.prompt, images: files.map(imageInput) },
        };
  }
}
