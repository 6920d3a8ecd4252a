// Checks the published shape: what `npm pack` would ship, publint, and are-the-types-wrong
// (ESM, CommonJS and types resolve for both entry points).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', ...opts });
const out = mkdtempSync(path.join(os.tmpdir(), 'graceful-otel-pack-'));
try {
  const [pack] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', out]));
  const files = pack.files.map((f) => f.path);
  const required = ['package.json', 'README.md', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/register.js', 'dist/cjs/package.json', 'dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/esm/register.js', 'dist/esm/register.d.ts'];
  const missing = required.filter((f) => !files.includes(f));
  const stray = files.filter((f) => !(f === 'package.json' || f === 'README.md' || f === 'LICENSE' || f.startsWith('dist/')));
  if (missing.length > 0 || stray.length > 0) {
    throw new Error(`npm pack contents are wrong: missing ${JSON.stringify(missing)}, unexpected ${JSON.stringify(stray)}`);
  }
  console.log(`npm pack: ${files.length} files, ${pack.size} bytes`);
  const tarball = path.join(out, pack.filename);
  const bin = (name) => path.resolve('node_modules/.bin', name);
  console.log(run(bin('publint'), ['--strict', tarball], { stdio: ['ignore', 'pipe', 'inherit'] }));
  console.log(run(bin('attw'), [tarball, '--profile', 'node16'], { stdio: ['ignore', 'pipe', 'inherit'] }));
} finally {
  rmSync(out, { recursive: true, force: true });
}
