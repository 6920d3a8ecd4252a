// Other work on this machine may rebuild dist/ (which deletes it first) while the bench runs, so
// the bench measures a private copy taken at the start: bench/.dist, inside the repository so
// its `require`s still find the repository's node_modules.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const DIST = fileURLToPath(new URL('../../dist', import.meta.url));
export const SNAPSHOT = fileURLToPath(new URL('../.dist', import.meta.url));

/** Copies dist/ to bench/.dist and checks that the preload loads from it; retries while a build runs. */
export async function snapshotDist(node) {
  for (let attempt = 1; ; attempt++) {
    try {
      rmSync(SNAPSHOT, { recursive: true, force: true });
      cpSync(DIST, SNAPSHOT, { recursive: true });
      execFileSync(node, ['--import', `${SNAPSHOT}/esm/register.js`, '-e', '0'], {
        env: { ...process.env, OTEL_SDK_DISABLED: 'true', GRACEFUL_OTEL_LOG_LEVEL: 'silent' },
        stdio: 'ignore',
        timeout: 30_000,
      });
      return;
    } catch (error) {
      if (attempt === 10) throw new Error(`cannot snapshot ${DIST} (run npm run build first)`, { cause: error });
      await sleep(existsSync(DIST) ? 3000 : 6000);
    }
  }
}
