/**
 * `providerOptions.venice` is typed: the AI SDK itself accepts any JSON there, so the checked form is
 * `satisfies VeniceProviderOptions`. The `@ts-expect-error` lines are the test (`pnpm typecheck` fails if a typo
 * compiles); the runtime part only shows the checked object is what `generateText` takes, on ai@6 and ai@7.
 */
import type { VeniceChatProviderOptions, VeniceProviderOptions } from '@venice-x402/ai-sdk';
import type * as ai6 from 'ai6';
import type * as ai7 from 'ai7';
import { describe, expectTypeOf, it } from 'vitest';

describe('providerOptions.venice is typed', () => {
  it('accepts what Venice takes and the AI SDK carries', () => {
    const providerOptions = {
      venice: { veniceParameters: { enableWebSearch: 'auto', includeVeniceSystemPrompt: false }, user: 'u-1' },
    } satisfies VeniceProviderOptions;
    expectTypeOf(providerOptions).toExtend<NonNullable<Parameters<typeof ai6.generateText>[0]['providerOptions']>>();
    expectTypeOf(providerOptions).toExtend<NonNullable<Parameters<typeof ai7.generateText>[0]['providerOptions']>>();
    expectTypeOf<VeniceProviderOptions['venice']>().toEqualTypeOf<VeniceChatProviderOptions>();
  });

  it('refuses typos in keys and values at compile time', () => {
    // @ts-expect-error misspelt option
    ({ venice: { veniceParamters: { enableWebSearch: 'auto' } } }) satisfies VeniceProviderOptions;
    // @ts-expect-error misspelt Venice parameter
    ({ venice: { veniceParameters: { enableWebSerch: 'auto' } } }) satisfies VeniceProviderOptions;
    // @ts-expect-error a value Venice does not take
    ({ venice: { veniceParameters: { enableWebSearch: 'always' } } }) satisfies VeniceProviderOptions;
    // @ts-expect-error misspelt provider key
    ({ venise: { veniceParameters: {} } }) satisfies VeniceProviderOptions;
  });
});
