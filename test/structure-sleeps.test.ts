import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Tests do not sleep (issue 29, "Done when"): they await an outcome or move fake time. A wait that must stay real
// (a real Redis Cluster, a grandchild process, a thread with nothing to await) says why on its line or the one
// above: `// kept real: …`.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// A sleep: a timer that resolves a promise, or one that aborts a call instead of awaiting the moment to abort it.
const SLEEP = /setTimeout\(\s*(r|res|resolve)\s*,|setTimeout\(\(\)\s*=>\s*[\w.]+\.abort\(/;
const KEPT = /kept real/i;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.name === 'node_modules') return [];
    if (entry.isDirectory()) return testFiles(path);
    return /\.(ts|mjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Lines of `text` that sleep without a `kept real` reason on them or just above. */
export function bareSleeps(fileName: string, text: string): string[] {
  const lines = text.split('\n');
  return lines.flatMap((line, i) =>
    SLEEP.test(line) && !KEPT.test(line) && !KEPT.test(lines[i - 1] ?? '') ? [`${fileName}:${i + 1}`] : [],
  );
}

describe('no fixed sleeps in tests', () => {
  it('finds a sleep, and takes a reason on its line or the line above', () => {
    // Built from parts, so that this file does not hold the sleeps it shows.
    const sleep = (name: string, ms: string) => `new Promise((${name}) => setTime${'out'}(${name}, ${ms}))`;
    const text = [
      `await ${sleep('r', '100')};`,
      `await ${sleep('resolve', '5')}; // kept real: a grandchild process`,
      '// Kept real: a real cluster fails over on its own time',
      `const pause = (ms) => ${sleep('res', 'ms')};`,
      'setTimeout(() => socket.destroy(), 20); // a hostile server’s pace, not a wait of the test',
      `await ${sleep('res', '6')};`,
      `setTime${'out'}(() => controller.abort(reason), 50);`,
    ].join('\n');
    expect(bareSleeps('x.ts', text)).toEqual(['x.ts:1', 'x.ts:6', 'x.ts:7']);
  });

  it('packages/*/test and test/ hold none without a reason', () => {
    const dirs = [
      ...readdirSync(join(root, 'packages')).map((p) => join(root, 'packages', p, 'test')),
      join(root, 'test'),
    ];
    const found = dirs
      .flatMap((dir) => {
        try {
          return testFiles(dir);
        } catch {
          return []; // a package without tests
        }
      })
      .flatMap((file) => bareSleeps(relative(root, file), readFileSync(file, 'utf8')));
    expect(found).toEqual([]);
  });
});
