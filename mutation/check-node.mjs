// Stryker 10 (the first with a Vitest 4 runner) needs Node ≥ 22; say so instead of failing somewhere inside it.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `pnpm mutation needs Node >= 22 (Stryker 10); this is Node ${process.versions.node}. ` +
      'Put a Node 22+ first on PATH, e.g. PATH=/path/to/node22/bin:$PATH pnpm mutation',
  );
  process.exit(1);
}
