import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// One function, one screenful: a body over this many lines is split into named steps (issue 29, "Done when").
const MAX_LINES = 120;
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHECKED = ['packages/fetch/src', 'packages/core/src/budget'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Functions, methods, accessors, constructors and arrows of `text` whose body spans more than `max` lines. */
export function longFunctions(fileName: string, text: string, max = MAX_LINES): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const body = node.body as ts.Node;
      const first = source.getLineAndCharacterOfPosition(body.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(body.getEnd()).line;
      const lines = last - first + 1;
      if (lines > max) {
        const name = 'name' in node && node.name ? (node.name as ts.Node).getText(source) : '<anonymous>';
        found.push(`${fileName}:${first + 1} ${name} (${lines} lines)`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe(`no function over ${MAX_LINES} lines in ${CHECKED.join(' and ')}`, () => {
  it('measures functions, methods, arrows and nested closures', () => {
    const body = (n: number) => Array.from({ length: n }, (_, i) => `  const v${i} = ${i};`).join('\n');
    const text = [
      `function long() {\n${body(119)}\n}`,
      `function fits() {\n${body(117)}\n}`,
      `class C {\n  method() {\n${body(130)}\n  }\n}`,
      `const arrow = () => {\n${body(125)}\n};`,
      `function outer() {\n  return function inner() {\n${body(121)}\n  };\n}`,
    ].join('\n');
    const found = longFunctions('x.ts', text, 120).map((entry) => entry.replace(/^x\.ts:\d+ /, ''));
    expect(found).toEqual([
      'long (121 lines)',
      'method (132 lines)',
      '<anonymous> (127 lines)',
      'outer (125 lines)',
      'inner (123 lines)',
    ]);
  });

  it('finds none in the paid fetch and the budget', () => {
    const found = CHECKED.flatMap((dir) =>
      sourceFiles(join(root, dir)).flatMap((file) => longFunctions(relative(root, file), readFileSync(file, 'utf8'))),
    );
    expect(found).toEqual([]);
  });
});
