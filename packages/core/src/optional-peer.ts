/**
 * Loads an optional peer dependency (the Solana packages) through Node at run time, never through a bundler.
 * A bundler resolves every `import('literal')` and `require('literal')` it sees at build time, so a literal here
 * would make each app that bundles core (Next.js with Turbopack or webpack, Vite, esbuild) fail to build without
 * the package, or carry it whole. The specifier is a parameter and the call carries every bundler's ignore
 * comment, so the import stays Node's own and finds the package where the app installed it.
 */
export function importOptionalPeer<T>(specifier: string): Promise<T> {
  return import(/* webpackIgnore: true */ /* turbopackIgnore: true */ /* @vite-ignore */ specifier) as Promise<T>;
}
