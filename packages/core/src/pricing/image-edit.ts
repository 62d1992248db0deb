import { type Micros, usdToMicros } from '../money.js';

/** Per-image prices of an image model, as the estimator reads them from `GET /models`. */
export interface ImageEditPricing {
  /** USD per image (`generation`, or the dearest of `resolutions`). */
  image?: number;
  /** USD per upscaled image (`upscale{2x,4x}`). */
  upscale2x?: number;
  upscale4x?: number;
}

/**
 * Venice's image edit routes (docs/venice-protocol.md §10) and the model each uses when the body names none: the one that
 * prices it.
 */
const DEFAULT_MODEL: Record<string, string> = {
  '/image/upscale': 'upscaler',
  '/image/edit': 'qwen-edit',
  '/image/multi-edit': 'qwen-edit',
  '/image/background-remove': 'bria-bg-remover',
};

const editRoute = (route: string) => Object.keys(DEFAULT_MODEL).find((r) => route.endsWith(r));

/** The model an image edit is priced by: the body's, else the route's default; undefined for other routes. */
export function imageEditModel(route: string, body: Record<string, unknown>): string | undefined {
  const r = editRoute(route);
  if (!r) return undefined;
  return typeof body.model === 'string' && body.model ? body.model : DEFAULT_MODEL[r];
}

/**
 * What one image edit costs at catalogue prices: an upscale at its `upscale{2x,4x}` price by `scale` (a factor
 * above 2, or one that is not a number, is the 4x price; so is a body that was not read, too large to parse), any
 * other edit at the model's per-image price (one image comes back). Undefined when the route is not an edit or the
 * catalogue has no such price.
 */
export function imageEditMicros(
  route: string,
  body: Record<string, unknown> | undefined,
  p: ImageEditPricing,
): Micros | undefined {
  const r = editRoute(route);
  if (!r) return undefined;
  if (r !== '/image/upscale') return p.image === undefined ? undefined : usdToMicros(p.image, 'ceil');
  const scale = body ? (body.scale ?? 2) : 'unread';
  const usd = typeof scale === 'number' && scale <= 2 ? (p.upscale2x ?? p.upscale4x) : p.upscale4x;
  return usd === undefined ? undefined : usdToMicros(usd, 'ceil');
}
