// What the lab needs before it starts anything: Debian's caddy, haproxy and prometheus on PATH, and the
// built package. Everything missing is reported at once, with the command that fixes it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const TOOLS = [
  { command: 'caddy', args: ['version'], pkg: 'caddy', role: 'the first reverse proxy' },
  { command: 'haproxy', args: ['-v'], pkg: 'haproxy', role: 'the second reverse proxy' },
  { command: 'prometheus', args: ['--version'], pkg: 'prometheus', role: 'rule evaluation and alerts' },
];

/** @returns {{ versions: Record<string, string>, problems: string[] }} */
export function checkDependencies(root) {
  const versions = {};
  const missing = [];
  for (const tool of TOOLS) {
    const r = spawnSync(tool.command, tool.args, { encoding: 'utf8' });
    if (r.error || r.status !== 0) missing.push(tool);
    else versions[tool.command] = `${r.stdout}${r.stderr}`.split('\n')[0].trim();
  }
  const problems = missing.map((t) => `\`${t.command}\` (${t.role}) is not on PATH: install the Debian package "${t.pkg}".`);
  if (missing.length) {
    problems.push(`On Debian/Ubuntu: sudo apt-get install --no-install-recommends ${missing.map((t) => t.pkg).join(' ')}` +
      ' and stop the services the packages start (the lab runs its own instances on free ports);' +
      ' scripts/install-debian-deps.sh does both, for everything the test suite needs.');
  }
  if (!existsSync(join(root, 'dist/esm/register.js'))) problems.push('graceful-otel is not built (dist/ is missing): run `npm run build` first.');
  return { versions, problems };
}
