/**
 * litesvm publishes its native build for Linux x64 only. On any other platform it installs but cannot load: the
 * simulator must say the platform is unsupported, not ask for a package that is already there. Reproduced for real
 * in a child process that reports itself as macOS arm64, with litesvm installed.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = fileURLToPath(new URL('.', import.meta.url));

function startSolanaAs(platform: string, arch: string): { name: string; message: string; details: unknown } {
  const preload = `Object.defineProperty(process, 'platform', { value: ${JSON.stringify(platform)} }); Object.defineProperty(process, 'arch', { value: ${JSON.stringify(arch)} });`;
  const script = `${preload}
    const { startSimulator } = await import('../src/index.ts');
    try { const sim = await startSimulator({ solana: true }); await sim.stop(); console.log(JSON.stringify({ name: 'started' })); }
    catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message, details: e.details })); }`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: here,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '--conditions=venice-x402-source' },
  });
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

describe('solana: true where litesvm has no native build', () => {
  it('says the platform is unsupported (litesvm is installed)', () => {
    const error = startSolanaAs('darwin', 'arm64');
    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(/^solana: true is not supported on darwin-arm64: litesvm is installed/);
    expect(error.message).toMatch(/Linux x64/);
    expect(error.message).not.toMatch(/pnpm add litesvm|install litesvm/);
    expect(error.details).toMatchObject({ platform: 'darwin-arm64' });
  }, 60_000);
});
