// The repo's copy of the Grafana pack (rules/, alerts/, dashboards/) is `graceful-otel pack` run
// with the defaults (pack/config.json is empty on purpose). Runs the built CLI module: npm run build first.
//   node pack/generate.mjs            write the files
//   node pack/generate.mjs --check    exit 1 when the committed files are stale
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { runPackCommand } = createRequire(import.meta.url)(join(ROOT, 'dist/cjs/pack/command.js'));
process.exitCode = await runPackCommand(['--config', join(ROOT, 'pack/config.json'), '--out', ROOT, ...process.argv.slice(2)]);
