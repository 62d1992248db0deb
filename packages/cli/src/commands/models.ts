import { parseModels } from '@venice-x402/core';
import { joinUrl } from '@venice-x402/core/internal';
import type { GlobalOptions } from '../context.js';
import { print, table } from '../output.js';

export async function models(opts: GlobalOptions, type: string | undefined) {
  const res = await fetch(joinUrl(opts.baseURL, `models?type=${encodeURIComponent(type ?? 'all')}`));
  if (!res.ok) throw new Error(`GET /models answered ${res.status}`);
  const list = parseModels(await res.json());
  print(opts.json, list, () =>
    table(
      list.map((m) => ({
        id: m.id,
        type: m.type,
        'input $/1M': m.input ?? '',
        'output $/1M': m.output ?? '',
        '$/image': m.image ?? '',
        '$/audio s': m.perAudioSecond ?? '',
      })),
    ),
  );
}
