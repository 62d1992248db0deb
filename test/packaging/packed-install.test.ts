/**
 * The packages as users get them: built, packed (`pnpm pack`), installed by plain npm into a fresh project, then
 * loaded from ESM and from CommonJS, with the `development` condition some tooling sets, and installed for
 * platforms the anvil binary does not support. Needs the npm registry (as `pnpm install` does).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackages } from '../helpers/build-packages.js';
import { installedCopies, type NpmLock, zodCopies } from '../helpers/installed-tree.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const PACKAGES = ['core', 'fetch', 'ai-sdk', 'langchain', 'simulator', 'cli'];
const LIBRARIES = ['core', 'fetch', 'ai-sdk', 'langchain', 'simulator'];
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });

let project: string;
let tarballs: Record<string, string>;

// Each install is a few hundred MB: every folder made here goes when the file is done.
const folders: string[] = [];
const temp = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  folders.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
}, 300_000); // ~1 GB of small files: minutes on a loaded disk

beforeAll(() => {
  buildPackages(); // under the shared build lock: other test files read dist/ meanwhile
  const packs = temp('vx402-packs-');
  tarballs = {};
  for (const name of PACKAGES) {
    run('pnpm', ['pack', '--pack-destination', packs], join(root, 'packages', name));
  }
  for (const file of readdirSync(packs)) {
    const name = PACKAGES.find((p) => file.startsWith(`venice-x402-${p}-`));
    if (name) tarballs[name] = join(packs, file);
  }
  project = temp('vx402-consumer-');
  // All tarballs in one install: npm satisfies the packages' ranges on each other from them, not the registry.
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...PACKAGES.map((p) => tarballs[p]!),
      'ai@^6',
      '@langchain/core@^1',
    ],
    project,
  );
}, 300_000);

// npm installs from the registry: slow on a loaded machine, never a timing assertion.
describe('packed and installed with npm', { timeout: 240_000 }, () => {
  it('tarballs carry no workspace: ranges and no development condition', () => {
    for (const name of PACKAGES) {
      const manifest = JSON.parse(
        readFileSync(join(project, 'node_modules', '@venice-x402', name, 'package.json'), 'utf8'),
      );
      expect(JSON.stringify(manifest)).not.toContain('workspace:');
      expect(JSON.stringify(manifest.exports)).not.toContain('"development"');
      expect(manifest.repository?.url).toBeTruthy();
      expect(manifest.homepage).toBeTruthy();
    }
  });

  it('loads from ESM, from CommonJS, and under --conditions=development', () => {
    const names = LIBRARIES.map((p) => `@venice-x402/${p}`);
    const esm = `for (const n of ${JSON.stringify(names)}) { const m = await import(n); if (!Object.keys(m).length) throw new Error(n); } console.log('esm ok');`;
    const cjs = `for (const n of ${JSON.stringify(names)}) { const m = require(n); if (!Object.keys(m).length) throw new Error(n); } console.log('cjs ok');`;
    expect(run(process.execPath, ['--input-type=module', '-e', esm], project)).toContain('esm ok');
    expect(run(process.execPath, ['-e', cjs], project)).toContain('cjs ok');
    expect(run(process.execPath, ['--conditions=development', '--input-type=module', '-e', esm], project)).toContain(
      'esm ok',
    );
    // CommonJS consumers get working code, not just exports: a wallet signs in (off-thread) from require().
    const signIn = `const { createWallet } = require('@venice-x402/core'); const { generatePrivateKey } = require('viem/accounts');
      createWallet({ privateKey: generatePrivateKey() }).signIn().then((h) => { console.log(JSON.parse(Buffer.from(h, 'base64')).message.split('\\n')[0]); process.exit(0); });`;
    expect(run(process.execPath, ['-e', signIn], project)).toContain('api.venice.ai wants you to sign in');
    // The signing thread itself runs from the published files (dist/signing-thread.js), for ESM and CommonJS
    // consumers alike: a header comes back that was signed before it was asked for.
    const signedAhead = `(async () => {
      const w = createWallet({ privateKey: generatePrivateKey() });
      await w.signIn();
      for (let i = 0; i < 100; i++) {
        await new Promise((r) => setTimeout(r, 100)); // kept real: "signed ahead" is itself a matter of time
        const asked = Date.now();
        if (JSON.parse(Buffer.from(await w.signIn(), 'base64')).timestamp < asked - 50) return console.log('thread ok');
      }
      console.log('never signed ahead');
    })();`;
    const fromCjs = `const { createWallet } = require('@venice-x402/core'); const { generatePrivateKey } = require('viem/accounts'); ${signedAhead}`;
    const fromEsm = `import { createWallet } from '@venice-x402/core'; import { generatePrivateKey } from 'viem/accounts'; ${signedAhead}`;
    expect(run(process.execPath, ['-e', fromCjs], project)).toContain('thread ok');
    expect(run(process.execPath, ['--input-type=module', '-e', fromEsm], project)).toContain('thread ok');
    // Types for both: the published d.ts and d.cts exist where the exports point.
    for (const name of LIBRARIES) {
      const dir = join(project, 'node_modules', '@venice-x402', name, 'dist');
      expect(readdirSync(dir)).toEqual(expect.arrayContaining(['index.d.ts', 'index.d.cts', 'index.js', 'index.cjs']));
    }
  });

  it('an app of both adapters installs one zod and no x402 package; the bundled x402 client signs from ESM and CJS', () => {
    const app = temp('vx402-adapters-');
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'adapters', private: true }));
    const ours = ['core', 'fetch', 'ai-sdk', 'langchain'].map((p) => tarballs[p]!);
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...ours, 'ai@^6', '@langchain/core@^1'], app);
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as NpmLock;
    expect(zodCopies(lock)).toEqual([{ path: 'node_modules/zod', version: expect.stringMatching(/^4\./) }]);
    expect([...installedCopies(lock, '@x402/core'), ...installedCopies(lock, '@x402/evm')]).toEqual([]);
    // EIP-3009 (exact) and Permit2 (upto) signing run from the bundled chunks: the code that left the dependencies.
    const sign = (load: string) => `${load}
      const policy = { ...defaultSigningPolicy, maxAmountMicros: 1000000n };
      const quote = (scheme, extra) => ({ x402Version: 2, accepts: [{ scheme, network: BASE_NETWORK, amount: '10000',
        asset: BASE_USDC, payTo: '0x1111111111111111111111111111111111111111', maxTimeoutSeconds: 60,
        extra: { name: 'USD Coin', version: '2', ...extra } }] });
      const wallet = createWallet({ privateKey: generatePrivateKey() });
      (async () => {
        const exact = await wallet.signPayment(selectRequirement(quote('exact', {}), policy));
        const upto = await wallet.signPayment(selectRequirement(quote('upto', { assetTransferMethod: 'permit2',
          facilitatorAddress: '0x2222222222222222222222222222222222222222' }), policy, 'evm', { permit2: true }));
        console.log(exact.scheme, String(exact.amountMicros), upto.scheme, String(upto.amountMicros));
        process.exit(0);
      })();`;
    const cjs =
      sign(`const { createWallet, defaultSigningPolicy, BASE_NETWORK, BASE_USDC } = require('@venice-x402/core');
      const { selectRequirement } = require('@venice-x402/core/internal');
      const { generatePrivateKey } = require('viem/accounts');`);
    const esm = sign(`import { createWallet, defaultSigningPolicy, BASE_NETWORK, BASE_USDC } from '@venice-x402/core';
      import { selectRequirement } from '@venice-x402/core/internal';
      import { generatePrivateKey } from 'viem/accounts';`);
    expect(run(process.execPath, ['-e', cjs], app).trim()).toBe('exact 10000 upto 10000');
    expect(run(process.execPath, ['--input-type=module', '-e', esm], app).trim()).toBe('exact 10000 upto 10000');
  });

  it('core alone installs without the Solana packages: a Solana wallet signs in, and names them when it must pay', () => {
    const solo = temp('vx402-core-only-');
    writeFileSync(join(solo, 'package.json'), JSON.stringify({ name: 'core-only', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarballs.core!], solo);
    expect(existsSync(join(solo, 'node_modules', '@solana', 'kit'))).toBe(false);
    expect(existsSync(join(solo, 'node_modules', '@x402', 'svm'))).toBe(false);
    const script = `
      const { createWallet, defaultSigningPolicy, SOLANA_USDC } = require('@venice-x402/core');
      const { base58Encode, selectRequirement } = require('@venice-x402/core/internal');
      const { generateKeyPairSync } = require('node:crypto');
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32);
      const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
      const wallet = createWallet({ solanaPrivateKey: base58Encode(new Uint8Array([...seed, ...pub])) });
      (async () => {
        console.log(Buffer.from(await wallet.signIn(), 'base64').toString().includes('with your Solana account') ? 'signed in' : 'bad');
        const quote = { x402Version: 2, accepts: [{ scheme: 'exact', network: 'solana', amount: '10000', asset: SOLANA_USDC,
          payTo: 'GSg4Q336Ya4aNJ9wHBXRhGtDAgV7VApshr8NXxoPSkUo', maxTimeoutSeconds: 60,
          extra: { feePayer: '7a85XKyydFfYFRVcfPqcgT1x6SoLRryddoY6JofZEY29' } }] };
        await wallet.signPayment(selectRequirement(quote, defaultSigningPolicy, 'solana')).catch((e) => console.log(e.name, e.code, e.message));
      })();`;
    const printed = run(process.execPath, ['-e', script], solo);
    expect(printed).toContain('signed in');
    expect(printed).toContain(
      'ConfigError INVALID_CONFIG Solana payments need the optional packages @solana/kit and @x402/svm',
    );
  });

  it('the CLI installs and runs its wallet commands on platforms anvil does not ship for', () => {
    const mac = temp('vx402-darwin-');
    writeFileSync(join(mac, 'package.json'), JSON.stringify({ name: 'mac', private: true }));
    mkdirSync(join(mac, 'node_modules'), { recursive: true });
    // npm's own platform check, as a macOS arm64 machine would run it (no install scripts run here).
    run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        '--os=darwin',
        '--cpu=arm64',
        '--ignore-scripts',
        ...PACKAGES.map((p) => tarballs[p]!),
      ],
      mac,
    );
    const lock = readFileSync(join(mac, 'package-lock.json'), 'utf8');
    expect(lock).toContain('"node_modules/@venice-x402/cli"');
    expect(existsSync(join(mac, 'node_modules', '@foundry-rs', 'anvil-linux-amd64'))).toBe(false);
    // And on this machine the installed binary answers.
    expect(run(join(project, 'node_modules', '.bin', 'venice-x402'), ['--version'], project)).toMatch(/\d+\.\d+\.\d+/);
  });
});
