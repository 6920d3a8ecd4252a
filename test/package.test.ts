/** The package's shape: one engine across ESM and CommonJS, and the version it reports. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VERSION } from '../src/version.js';
import { FIXTURES, ROOT, startApp, stopAll } from './helpers/app.js';

afterEach(stopAll);

describe('package', () => {
  it('reports the version of package.json', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });

  it('the ESM preload and the CommonJS API share one engine: one signal listener, hooks from both run', async () => {
    const app = await startApp(path.join(FIXTURES, 'dual.cjs'));
    const listening = JSON.parse(app.stdout.find((l) => l.includes('listening')) ?? '{}') as { sigtermListeners: number; servers: number };
    expect(listening.sigtermListeners).toBe(1);
    expect(listening.servers).toBe(1);
    app.signal('SIGTERM');
    expect((await app.exited).code).toBe(0);
    expect(app.summary()?.hooks).toEqual([expect.objectContaining({ name: 'from-cjs-api', outcome: 'ok' })]);
  });

  it('does nothing in worker threads: no engine, no signal listener, the worker server is not watched', async () => {
    const app = await startApp(path.join(FIXTURES, 'worker-app.cjs'), { preload: 'require' });
    const line = JSON.parse(app.stdout.find((l) => l.includes('listening')) ?? '{}') as { inWorker: { engine: boolean; sigterm: number }; mainServers: number };
    expect(line.inWorker).toEqual({ engine: false, sigterm: 0 });
    expect(line.mainServers).toBe(1);
    app.signal('SIGTERM');
    expect((await app.exited).code).toBe(0);
  });
});
