// Builds the package: the code is compiled once, as CommonJS (dist/cjs), and the ESM entry points
// are thin wrappers that re-export it (Node's "ES module wrapper" approach to dual packages), so
// a process that loads the preload with --import and the API with require() has one engine, not
// two. Each flavour gets its own declarations.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const run = (...args) => execFileSync(process.execPath, [tsc, ...args], { stdio: 'inherit' });

rmSync('dist', { recursive: true, force: true });
run('-p', 'tsconfig.cjs.json');
run('-p', 'tsconfig.json', '--emitDeclarationOnly');
mkdirSync('dist/cjs', { recursive: true });
writeFileSync('dist/cjs/package.json', JSON.stringify({ type: 'commonjs' }, null, 2) + '\n');
writeFileSync('dist/esm/index.js', "export * from '../cjs/index.js';\n");
writeFileSync('dist/esm/register.js', "import '../cjs/register.js';\n");
