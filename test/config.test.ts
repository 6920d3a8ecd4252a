/**
 * Configuration: every invalid value stops startup with an error naming the variable, the value
 * and what is accepted, before anything is served; the budget arithmetic is explained.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, drainTimeoutFor, resolveConfig, unknownVariables } from '../src/config.js';
import { parseDuration } from '../src/duration.js';
import { EXAMPLES, startApp, stopAll } from './helpers/app.js';

afterEach(stopAll);

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['5s', 5000],
    ['1.5s', 1500],
    ['1m', 60_000],
    ['750', 750],
    [' 2s ', 2000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'abc', '5 sec', '-1s', '1h', '1.5', 's'])('%j is not a duration', (text) => expect(parseDuration(text)).toBeUndefined());
});

describe('resolveConfig', () => {
  it('defaults: 30 s grace, no delay off Kubernetes, drain timeout is what the budget leaves', () => {
    const config = resolveConfig({}, {});
    expect(config).toMatchObject({ gracePeriodMs: 30_000, drainDelayMs: 0, hooksTimeoutMs: 5000, flushTimeoutMs: 3000, safetyMarginMs: 1000 });
    // No time is held back for hooks unless one is registered when the shutdown starts.
    expect(drainTimeoutFor(config, false)).toBe(30_000 - 1000 - 3000);
    expect(drainTimeoutFor(config, true)).toBe(30_000 - 1000 - 5000 - 3000);
    expect(config.signals).toEqual(['SIGTERM', 'SIGINT']);
  });

  it('defaults the delay to 5 s on Kubernetes', () => {
    const config = resolveConfig({}, { KUBERNETES_SERVICE_HOST: '10.0.0.1' });
    expect(config.drainDelayMs).toBe(5000);
    expect(drainTimeoutFor(config, false)).toBe(30_000 - 1000 - 5000 - 3000);
    expect(drainTimeoutFor(config, true)).toBe(30_000 - 1000 - 5000 - 5000 - 3000);
  });

  // The README's platform table: grace period, then the drain with no hook and with hooks.
  it.each([
    ['Kubernetes', '30s', { KUBERNETES_SERVICE_HOST: '10.0.0.1' }, 21_000, 16_000],
    ['Docker', '10s', {}, 7000, 5000],
    ['Cloud Run', '10s', {}, 7000, 5000],
    ['ECS', '30s', {}, 26_000, 21_000],
    ['systemd', '90s', {}, 86_000, 81_000],
    ['Fly.io', '5s', {}, 3500, 2500],
    ['Heroku', '30s', {}, 26_000, 21_000],
    ['PM2', '1600', {}, 1120, 800],
  ])('%s (%s): reserves scale, the drain gets %d ms with no hook, %d ms with hooks', (_name, grace, env, bare, withHooks) => {
    const config = resolveConfig({}, { GRACEFUL_OTEL_GRACE_PERIOD: grace, ...env });
    expect(drainTimeoutFor(config, false)).toBe(bare);
    expect(drainTimeoutFor(config, true)).toBe(withHooks);
  });

  it('10s with a 1 s drain delay starts, and still drains 6 s', () => {
    const config = resolveConfig({}, { GRACEFUL_OTEL_GRACE_PERIOD: '10s', GRACEFUL_OTEL_DRAIN_DELAY: '1s' });
    expect(drainTimeoutFor(config, false)).toBe(6000);
  });

  it('refuses a bare number too small to be a grace period in milliseconds, with a hint', () => {
    const error = catchError(() => resolveConfig({}, { GRACEFUL_OTEL_GRACE_PERIOD: '30' }));
    expect(error.problems).toEqual([
      'GRACEFUL_OTEL_GRACE_PERIOD="30" is invalid: expected a duration of at least 1s: a whole number of milliseconds (250) or a number with ms, s or m (250ms, 5s, 1.5s, 1m), at most 2147483647ms (the longest a timer can hold, about 24.8 days). A bare number is milliseconds, and 30ms is too short for a grace period: did you mean 30s?',
    ]);
    expect(resolveConfig({}, { GRACEFUL_OTEL_GRACE_PERIOD: '30000' }).gracePeriodMs).toBe(30_000);
    expect(resolveConfig({}, { GRACEFUL_OTEL_GRACE_PERIOD: '500ms' }).gracePeriodMs).toBe(500);
  });

  it('an explicit hooks budget is counted in full at startup', () => {
    const error = catchError(() => resolveConfig({}, { GRACEFUL_OTEL_GRACE_PERIOD: '10s', GRACEFUL_OTEL_HOOKS_TIMEOUT: '7s' }));
    expect(error.problems[0]).toContain('hooks 7s + flush 2s + safety margin 1s');
    const config = resolveConfig({}, { GRACEFUL_OTEL_GRACE_PERIOD: '10s', GRACEFUL_OTEL_HOOKS_TIMEOUT: '4s' });
    expect(drainTimeoutFor(config, true)).toBe(3000);
  });

  it('options win over variables', () => {
    const config = resolveConfig({ drainDelay: '2s', signals: ['SIGTERM'] }, { GRACEFUL_OTEL_DRAIN_DELAY: '4s' });
    expect(config.drainDelayMs).toBe(2000);
    expect(config.signals).toEqual(['SIGTERM']);
  });

  it('lists every invalid value at once, with variable, value and what is accepted', () => {
    const error = catchError(() =>
      resolveConfig({}, { GRACEFUL_OTEL_DRAIN_DELAY: 'soon', GRACEFUL_OTEL_HEALTH_PORT: '70000', GRACEFUL_OTEL_SIGNALS: 'SIGKILL' }),
    );
    expect(error.problems).toHaveLength(3);
    expect(error.problems[0]).toBe(
      'GRACEFUL_OTEL_DRAIN_DELAY="soon" is invalid: expected a whole number of milliseconds (250) or a number with ms, s or m (250ms, 5s, 1.5s, 1m), at most 2147483647ms (the longest a timer can hold, about 24.8 days).',
    );
    expect(error.problems).toContainEqual(expect.stringContaining('GRACEFUL_OTEL_HEALTH_PORT="70000" is invalid: expected a port number from 0 to 65535'));
    expect(error.problems).toContainEqual(expect.stringContaining('GRACEFUL_OTEL_SIGNALS="SIGKILL" is invalid: expected a comma-separated list of SIGTERM, SIGINT'));
  });

  it('names the option when the bad value came from code', () => {
    const error = catchError(() => resolveConfig({ failureExitCode: 300 }, {}));
    expect(error.problems).toEqual(['option failureExitCode=300 is invalid: expected a whole number from 0 to 255.']);
  });

  it('refuses a budget whose parts exceed the grace period, showing the arithmetic', () => {
    const error = catchError(() =>
      resolveConfig({}, { GRACEFUL_OTEL_GRACE_PERIOD: '30s', GRACEFUL_OTEL_DRAIN_DELAY: '5s', GRACEFUL_OTEL_DRAIN_TIMEOUT: '25s' }),
    );
    expect(error.problems[0]).toContain(
      'drain delay 5s + drain timeout 25s + hooks 5s + flush 3s + safety margin 1s = 39s, more than the grace period 30s',
    );
  });

  it('refuses a budget that leaves nothing to drain', () => {
    const error = catchError(() => resolveConfig({}, { GRACEFUL_OTEL_GRACE_PERIOD: '6s', GRACEFUL_OTEL_DRAIN_DELAY: '5s' }));
    expect(error.problems[0]).toContain('leaves no time to drain');
    expect(error.problems[0]).toContain('drain delay 5s + drain timeout (what is left) + hooks 0 (none registered yet) + flush 1.2s + safety margin 600ms');
  });

  it('suggests the nearest known name for an unknown GRACEFUL_OTEL_ variable', () => {
    expect(unknownVariables({ GRACEFUL_OTEL_DRAIN_DELAYS: '1s', OTHER: 'x' })).toEqual([
      { name: 'GRACEFUL_OTEL_DRAIN_DELAYS', suggestion: 'GRACEFUL_OTEL_DRAIN_DELAY' },
    ]);
  });
});

describe('the preload refuses to start on bad configuration', () => {
  it.each([
    ['GRACEFUL_OTEL_GRACE_PERIOD', '0'],
    ['GRACEFUL_OTEL_SAFETY_MARGIN', 'x'],
    ['GRACEFUL_OTEL_DRAIN_DELAY', '5 seconds'],
    ['GRACEFUL_OTEL_DRAIN_TIMEOUT', '-1'],
    ['GRACEFUL_OTEL_HOOKS_TIMEOUT', '1h'],
    ['GRACEFUL_OTEL_FLUSH_TIMEOUT', '0ms'],
    ['GRACEFUL_OTEL_SIGNALS', 'SIGKILL'],
    ['GRACEFUL_OTEL_HEALTH_PORT', 'http'],
    ['GRACEFUL_OTEL_HEALTH_HOST', 'not a host'],
    ['GRACEFUL_OTEL_PRESTOP', 'public'],
    ['GRACEFUL_OTEL_FAILURE_EXIT_CODE', '256'],
    ['GRACEFUL_OTEL_LOG_LEVEL', 'verbose'],
    ['GRACEFUL_OTEL_PUSHGATEWAY_URL', 'ftp://x'],
    ['GRACEFUL_OTEL_METRICS_LINGER', 'forever'],
  ])('%s=%j: clear error, exit 78, never listens', async (name, value) => {
    const app = await startApp(path.join(EXAMPLES, 'http.mjs'), { env: { [name]: value }, waitListening: false, waitHealth: false });
    const exit = await app.exited;
    expect(exit.code).toBe(78);
    expect(app.stdout.join('\n')).not.toContain('listening');
    expect(app.stderr.join('\n')).toContain(`${name}=${JSON.stringify(value)} is invalid: expected`);
  });

  it('the CommonJS preload refuses the same way', async () => {
    const app = await startApp(path.join(EXAMPLES, 'http.cjs'), {
      preload: 'require',
      env: { GRACEFUL_OTEL_DRAIN_DELAY: 'later' },
      waitListening: false,
    });
    expect((await app.exited).code).toBe(78);
    expect(app.stdout.join('\n')).not.toContain('listening');
  });

  it('an unknown GRACEFUL_OTEL_ variable is a warning with a suggestion, not an error', async () => {
    const app = await startApp(path.join(EXAMPLES, 'http.mjs'), { env: { GRACEFUL_OTEL_GRACE_PERIODE: '10s' } });
    const warning = app.logs().find((l) => l.variable === 'GRACEFUL_OTEL_GRACE_PERIODE');
    expect(warning?.suggestion).toBe('GRACEFUL_OTEL_GRACE_PERIOD');
    app.signal('SIGTERM');
    expect((await app.exited).code).toBe(0);
  });
});

function catchError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
