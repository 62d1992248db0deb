import { existsSync } from 'node:fs';
import { defineConfig } from 'tsup';

/**
 * One build for every package (run from the package directory): ESM and CommonJS, each with its own types
 * (`.d.ts` / `.d.cts`). Dependencies stay external; `import.meta.url` is shimmed in the CommonJS output.
 * A package with an `internal` subpath builds `src/internal.ts` too. ESM shares the code of both entries in chunks;
 * CommonJS gives each entry its own copy, so an `internal` entry holds only stateless helpers.
 * A devDependency a package imports is bundled: core bundles the x402 EVM client schemes (they need no zod, so core
 * does not bring @x402/core's zod 3; test/packaging/one-zod.test.ts keeps it so).
 */
export default defineConfig({
  entry: existsSync('src/internal.ts') ? ['src/index.ts', 'src/internal.ts'] : ['src/index.ts'],
  format: ['esm', 'cjs'],
  // Types from the built packages a package depends on (not their sources): no custom condition here.
  dts: { compilerOptions: { composite: false, customConditions: [] } },
  sourcemap: true,
  clean: true,
  shims: true,
  target: 'node20',
  platform: 'node',
  outDir: 'dist',
});
