import { defineConfig } from 'tsup';

/**
 * One build for every package (run from the package directory): ESM and CommonJS, each with its own types
 * (`.d.ts` / `.d.cts`). Dependencies stay external; `import.meta.url` is shimmed in the CommonJS output.
 */
export default defineConfig({
  entry: ['src/index.ts'],
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
