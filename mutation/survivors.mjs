// Lists the mutants a `pnpm mutation` run left alive: `node mutation/survivors.mjs budget|paid-call [file-part]`.
import { readFileSync } from 'node:fs';

const [name = 'budget', only = ''] = process.argv.slice(2);
const report = JSON.parse(readFileSync(`reports/mutation/${name}.json`, 'utf8'));
for (const [file, { source, mutants }] of Object.entries(report.files)) {
  if (!file.includes(only)) continue;
  const lines = source.split('\n');
  for (const m of mutants) {
    if (m.status !== 'Survived' && m.status !== 'NoCoverage') continue;
    const { line, column } = m.location.start;
    const original = lines[line - 1].trim().slice(0, 100);
    const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80);
    console.log(`${file}:${line}:${column} ${m.status} ${m.mutatorName}: ${replacement}\n    ${original}`);
  }
}
