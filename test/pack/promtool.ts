// promtool from Debian's `prometheus` package (installed by .ci/run). Missing promtool is an error,
// not a skip: CI must never pass these tests without running them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function requirePromtool(): void {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error('promtool not found on PATH: install the Debian package "prometheus" (apt-get install -y prometheus); .ci/run does this on CI.');
  }
}

export function promtool(...args: string[]): { ok: boolean; output: string } {
  const r = spawnSync('promtool', args, { encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** Writes files into a fresh temp dir and returns its path. */
export function tempFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'graceful-pack-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}
