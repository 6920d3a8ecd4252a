// `graceful-otel pack`: writes the Grafana pack (rules, alerts, PrometheusRule, promtool tests,
// dashboards) from a JSON config file. Returns an exit code; never calls process.exit.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { processIO, type CommandIO } from '../cli-io.js';
import { PackConfigError, resolveConfig } from './config.js';
import { buildOutputs, listExpressions } from './outputs.js';

export const PACK_USAGE = `usage: graceful-otel pack [--config FILE] [--out DIR] [--check] [--list-exprs]
  --config FILE   JSON pack config (see docs/grafana-pack.md); default: the built-in defaults
  --out DIR       where to write rules/, alerts/, dashboards/ (default: the current directory)
  --check         write nothing; exit 1 when the files under --out differ from what the config generates
  --list-exprs    print every dashboard expression, template variables expanded, as JSON
`;


function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function loadConfigFile(path: string | undefined) {
  if (path === undefined) return resolveConfig({});
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PackConfigError(`pack config: cannot read --config ${path}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new PackConfigError(`pack config: ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return resolveConfig(parsed);
}

/**
 * Runs `graceful-otel pack` with the arguments after the subcommand.
 * @returns the process exit code: 0 done, 1 stale files (--check), 2 bad arguments or config.
 */
export async function runPackCommand(argv: readonly string[], io: Pick<CommandIO, 'stdout' | 'stderr'> = processIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' },
        out: { type: 'string', default: '.' },
        check: { type: 'boolean', default: false },
        'list-exprs': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    io.stderr(`graceful-otel pack: ${(error as Error).message}\n${PACK_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout(PACK_USAGE);
    return 0;
  }
  let cfg;
  try {
    cfg = loadConfigFile(values.config);
  } catch (error) {
    if (!(error instanceof PackConfigError)) throw error;
    io.stderr(`graceful-otel pack: ${error.message}\n`);
    return 2;
  }
  if (values['list-exprs']) {
    io.stdout(`${JSON.stringify(listExpressions(cfg), null, 2)}\n`);
    return 0;
  }
  const root = resolve(values.out);
  const files = buildOutputs(cfg);
  if (values.check) {
    const stale = Object.entries(files).filter(([rel, content]) => readOrNull(join(root, rel)) !== content).map(([rel]) => rel);
    if (stale.length) {
      io.stderr(`graceful-otel pack: stale generated files under ${root}:\n  ${stale.join('\n  ')}\n`);
      return 1;
    }
    io.stdout(`graceful-otel pack: ${Object.keys(files).length} generated files are fresh\n`);
    return 0;
  }
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  io.stdout(`graceful-otel pack: wrote ${Object.keys(files).length} files under ${root}\n`);
  return 0;
}
