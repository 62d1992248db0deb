// Compiles OwnedAccount.sol with the pinned solc (root devDependency) into the committed OwnedAccount.json.
// Run after editing the contract: `pnpm contracts`. Tests read the JSON and never need solc.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import solc from 'solc';

const source = readFileSync(new URL('./OwnedAccount.sol', import.meta.url), 'utf8');
const input = {
  language: 'Solidity',
  sources: { 'OwnedAccount.sol': { content: source } },
  settings: {
    evmVersion: 'cancun',
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
if (errors.length) {
  for (const e of errors) console.error(e.formattedMessage);
  process.exit(1);
}
const contract = output.contracts['OwnedAccount.sol'].OwnedAccount;
const artifact = {
  contractName: 'OwnedAccount',
  compiler: `solc ${solc.version()}`,
  sourceSha256: createHash('sha256').update(source).digest('hex'),
  abi: contract.abi,
  bytecode: `0x${contract.evm.bytecode.object}`,
};
writeFileSync(new URL('./OwnedAccount.json', import.meta.url), `${JSON.stringify(artifact, null, 2)}\n`);
console.log(`OwnedAccount.json written (${artifact.compiler}, ${(artifact.bytecode.length - 2) / 2} bytes)`);
