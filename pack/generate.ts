// Generator CLI for the Grafana pack.
//   node pack/generate.ts                       write dashboards/, rules/, alerts/ (default profile)
//   node pack/generate.ts --check               exit 1 if the committed files are not what the sources generate
//   node pack/generate.ts --profile lab --out D write the lab profile's files under D (same relative paths)
//   node pack/generate.ts --list-exprs [--profile lab]   dashboard expressions, variables expanded, as JSON
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from './config.ts';
import { buildOutputs, listExpressions } from './outputs.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function main(): number {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'default' },
      out: { type: 'string' },
      check: { type: 'boolean', default: false },
      'list-exprs': { type: 'boolean', default: false },
    },
  });
  const cfg = loadConfig(values.profile);
  if (values['list-exprs']) {
    process.stdout.write(`${JSON.stringify(listExpressions(cfg), null, 2)}\n`);
    return 0;
  }
  const root = values.out ? resolve(values.out) : REPO;
  const files = buildOutputs(cfg);
  if (values.check) {
    const stale = Object.entries(files).filter(([rel, content]) => readOrNull(join(root, rel)) !== content).map(([rel]) => rel);
    if (stale.length) {
      process.stderr.write(`pack: stale generated files (run npm run pack:generate):\n  ${stale.join('\n  ')}\n`);
      return 1;
    }
    process.stdout.write(`pack: ${Object.keys(files).length} generated files are fresh\n`);
    return 0;
  }
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  process.stdout.write(`pack: wrote ${Object.keys(files).length} files under ${root} (profile ${cfg.profile})\n`);
  return 0;
}

process.exitCode = main();
