// Runs the test suite on Node.js 22: installs the npm registry's `node@22` package into .tmp/
// (once) and starts vitest with that binary, so every child process the tests spawn
// (process.execPath) runs on Node 22 too. The package must already be built (npm test does it).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const prefix = path.resolve('.tmp/node22');
const node22 = path.join(prefix, 'node_modules/.bin/node');
if (!existsSync(node22)) {
  mkdirSync(prefix, { recursive: true });
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  execFileSync(npm, ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', 'node@22'], { stdio: 'inherit' });
}
const version = execFileSync(node22, ['--version'], { encoding: 'utf8' }).trim();
if (!version.startsWith('v22.')) throw new Error(`expected Node 22 in ${prefix}, found ${version}`);
console.log(`running the suite on Node ${version}`);
const vitest = path.resolve('node_modules/vitest/vitest.mjs');
const result = spawnSync(node22, [vitest, 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(result.status ?? 1);
