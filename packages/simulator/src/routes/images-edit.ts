import { randomUUID } from 'node:crypto';
import { usdToMicros } from '@venice-x402/core';
import { TINY_PNG } from '../generate.js';
import type { SimModel } from '../models.js';
import { HttpFailure, type JsonAnswer, lookupModel } from './inference.js';

/**
 * Venice's image edits (docs/venice-protocol.md §10): `/image/upscale`, `/image/edit`, `/image/multi-edit` and
 * `/image/background-remove`. Strict JSON bodies (an unknown key is a 400), input images as base64 or an http(s)
 * URL, the edited image answered as PNG bytes, charged per image at the model's catalogue price (an upscale at its
 * `upscale{2x,4x}` price). A route's model is optional; each has a default, as on Venice.
 */

export type ImageEditRoute = '/image/upscale' | '/image/edit' | '/image/multi-edit' | '/image/background-remove';

interface RouteRule {
  keys: Set<string>;
  defaultModel: string;
  type: SimModel['type'];
}

const RULES: Record<ImageEditRoute, RouteRule> = {
  '/image/upscale': {
    keys: new Set(['model', 'image', 'scale', 'enhance', 'enhanceCreativity', 'enhancePrompt', 'replication']),
    defaultModel: 'upscaler',
    type: 'upscale',
  },
  '/image/edit': {
    keys: new Set(['model', 'prompt', 'image', 'aspect_ratio']),
    defaultModel: 'qwen-edit',
    type: 'inpaint',
  },
  '/image/multi-edit': { keys: new Set(['model', 'prompt', 'images']), defaultModel: 'qwen-edit', type: 'inpaint' },
  '/image/background-remove': {
    keys: new Set(['model', 'image', 'image_url']),
    defaultModel: 'bria-bg-remover',
    type: 'inpaint',
  },
};

export const isImageEditRoute = (path: string): path is ImageEditRoute => Object.hasOwn(RULES, path);

const MAX_PROMPT = 1500;
const MAX_IMAGES = 3;
const bad = (error: string) => new HttpFailure(400, { error });

/** An input image: a non-empty base64 string (optionally a data URL) or an http(s) URL. */
function checkImage(value: unknown, field: string) {
  if (typeof value !== 'string' || value.length === 0) throw bad(`${field} must be a base64 string or a URL`);
  if (/^https?:\/\//i.test(value)) return;
  const data = value.replace(/^data:image\/[a-z+.-]+;base64,/i, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(data) || Buffer.from(data, 'base64').length === 0)
    throw bad(`${field} must be a base64 string or a URL`);
}

function checkPrompt(value: unknown) {
  if (typeof value !== 'string' || !value) throw bad('prompt is required');
  if (value.length > MAX_PROMPT) throw bad(`prompt must be at most ${MAX_PROMPT} characters`);
}

/** The price of one edit in micro-USD: the model's per-image price, an upscale's by its factor. */
function editPrice(model: SimModel, body: Record<string, unknown>): bigint {
  if (model.type !== 'upscale') return usdToMicros(model.pricing.generation ?? 0, 'ceil');
  const scale = body.scale ?? 2;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 1 || scale > 4)
    throw bad('scale must be a number from 1 to 4');
  if (scale === 1 && body.enhance !== true) throw bad('scale 1 needs enhance: true');
  return usdToMicros((scale > 2 ? model.pricing.upscale_4x : model.pricing.upscale_2x) ?? 0, 'ceil');
}

export function imageEdit(models: Map<string, SimModel>, route: ImageEditRoute, raw: unknown): JsonAnswer {
  const rule = RULES[route];
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw bad('Body must be a JSON object');
  const body = raw as Record<string, unknown>;
  for (const key of Object.keys(body)) if (!rule.keys.has(key)) throw bad(`Unrecognized key in body: ${key}`);
  const model = lookupModel(models, body.model ?? rule.defaultModel, rule.type);
  if (route === '/image/upscale' || route === '/image/edit') checkImage(body.image, 'image');
  if (route === '/image/edit' || route === '/image/multi-edit') checkPrompt(body.prompt);
  if (route === '/image/multi-edit') {
    const images = body.images;
    if (!Array.isArray(images) || images.length === 0 || images.length > MAX_IMAGES)
      throw bad(`images must hold 1 to ${MAX_IMAGES} images`);
    for (const [i, image] of images.entries()) checkImage(image, `images[${i}]`);
  }
  if (route === '/image/background-remove') {
    if ((body.image === undefined) === (body.image_url === undefined))
      throw bad('Send exactly one of image, image_url');
    if (body.image !== undefined) checkImage(body.image, 'image');
    else if (typeof body.image_url !== 'string' || !/^https?:\/\//i.test(body.image_url))
      throw bad('image_url must be an http(s) URL');
  }
  return {
    requestId: `edit-${randomUUID().replace(/-/g, '')}`,
    model: model.id,
    costMicros: editPrice(model, body),
    body: undefined,
    raw: TINY_PNG,
    contentType: 'image/png',
  };
}
