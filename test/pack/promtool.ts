// promtool from Debian's `prometheus` package (installed by .ci/run). Missing promtool is an error,
// not a skip: CI must never pass these tests without running them.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function requirePromtool(): void {
  const r = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error('promtool not found on PATH: install the Debian package "prometheus" (apt-get install -y prometheus); .ci/run does this on CI.');
  }
}

/** Runs promtool; async so several files can be tested at once on the 2 CI cores. */
export function promtool(...args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('promtool', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 150_000 });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c));
    child.stderr.on('data', (c: Buffer) => (output += c));
    child.on('close', (code) => resolve({ ok: code === 0, output }));
  });
}

/** Writes files (relative paths, folders created) into a fresh temp dir and returns its path. */
export function tempFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'graceful-pack-'));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}
