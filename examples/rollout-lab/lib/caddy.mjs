// Caddy (Debian's caddy 2.6) in front of each deployment's fixed pool of instance slots. One Caddy
// server per deployment, named after it: Caddy's `server` label is what the pack's recording rules
// map to the service. Behaviour checked against Caddy 2.6.2:
// - active health checks run at provisioning and then every interval, against every slot; a slot
//   with no process fails (connection refused) and is out of rotation until a check passes again;
// - the health checker logs "host is up" when a host turns healthy, and one line per failed check;
// - the reverse_proxy handler's errors (502 for a refused or reset upstream, 503 when no upstream
//   is healthy) are counted in caddy_http_request_errors_total{handler="reverse_proxy"}, not in
//   caddy_http_request_duration_seconds{code}: the pack's Caddy source reads both.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { HOST, parseExposition, request, until } from './net.mjs';
import { PROXY } from './timings.mjs';

/**
 * @param {{ adminPort: number, storage: string, deployments: { service: string, port: number, slots: { app: number }[] }[] }} o
 */
export function caddyConfig({ adminPort, storage, deployments }) {
  const servers = Object.fromEntries(
    deployments.map((d) => [
      d.service,
      {
        listen: [`${HOST}:${d.port}`],
        protocols: ['h1'],
        automatic_https: { disable: true },
        // Per-server metrics are opt-in in 2.6 (the Caddyfile's `servers { metrics }`).
        metrics: {},
        routes: [
          {
            handle: [
              {
                handler: 'reverse_proxy',
                upstreams: d.slots.map((s) => ({ dial: `${HOST}:${s.app}` })),
                health_checks: {
                  active: { uri: '/readyz', interval: PROXY.healthInterval, timeout: PROXY.healthTimeout },
                },
                // No retries (try_duration 0, the default): a retrying proxy would hide the very
                // 502s a real load balancer returns while it still routes to a vanished instance.
                load_balancing: { selection_policy: { policy: 'round_robin' } },
              },
            ],
          },
        ],
      },
    ]),
  );
  return {
    admin: { listen: `${HOST}:${adminPort}`, config: { persist: false } },
    storage: { module: 'file_system', root: storage },
    logging: { logs: { default: { level: 'INFO', writer: { output: 'stderr' }, encoder: { format: 'json' } } } },
    apps: { http: { servers } },
  };
}

/** Which upstreams the proxy considers healthy, from its health checker's log lines. */
export class ProxyHealth {
  constructor(child) {
    /** @type {Map<string, { up: boolean, at: number }>} */
    this.hosts = new Map();
    this.waiters = new Set();
    child.onLine((line) => {
      if (!line.includes('health_checker.active')) return;
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (typeof entry.host !== 'string') return;
      // Every message but "host is up" reports a failed check, and one failure marks the host down.
      this.hosts.set(entry.host, { up: entry.msg === 'host is up', at: performance.now() });
      for (const w of this.waiters) w();
    });
  }

  /** True once a check failed for `port` after `since` (and none passed after it). */
  isDown(port, since = 0) {
    const h = this.hosts.get(`${HOST}:${port}`);
    return h !== undefined && !h.up && h.at >= since;
  }

  /** Resolves with the time the proxy marked `port` healthy (at or after `since`); rejects after `ms`. */
  waitUp(port, since, ms) {
    const key = `${HOST}:${port}`;
    return new Promise((resolve, reject) => {
      const check = () => {
        const h = this.hosts.get(key);
        if (!h?.up || h.at < since) return;
        finish();
        resolve(this.hosts.get(key).at);
      };
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`the proxy did not mark ${key} healthy within ${ms} ms`));
      }, ms);
      this.waiters.add(check);
      check();
    });
  }
}

/** Starts Caddy with a JSON config; resolves once its admin API answers. */
export async function startCaddy(supervisor, options) {
  const dir = join(supervisor.tmp, 'caddy');
  const configPath = join(supervisor.tmp, 'caddy.json');
  writeFileSync(configPath, JSON.stringify(caddyConfig({ ...options, storage: join(dir, 'data') }), null, 2));
  // Caddy writes under $HOME / XDG dirs by default: keep all of it in the temp dir.
  const env = { HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') };
  const child = supervisor.spawn('caddy', 'caddy', ['run', '--config', configPath], { env });
  const health = new ProxyHealth(child);
  const admin = `http://${HOST}:${options.adminPort}`;
  await Promise.race([
    until(async () => (await request(`${admin}/config/`)).status === 200, { timeoutMs: 15_000, what: 'Caddy admin API' }),
    child.exited.then(() => Promise.reject(child.failure('caddy exited during startup'))),
  ]);
  return { child, health, admin };
}

/** The proxy's own count of one server's responses: by code, plus handler errors (502s). */
export async function proxyCounts(admin, server) {
  const { body } = await request(`${admin}/metrics`);
  const byCode = {};
  let errors = 0;
  for (const s of parseExposition(body)) {
    if (s.labels.server !== server || s.labels.handler !== 'reverse_proxy') continue;
    if (s.name === 'caddy_http_request_duration_seconds_count') byCode[s.labels.code] = (byCode[s.labels.code] ?? 0) + s.value;
    if (s.name === 'caddy_http_request_errors_total') errors += s.value;
  }
  const gateway = errors + ['502', '503', '504'].reduce((sum, code) => sum + (byCode[code] ?? 0), 0);
  return { byCode, handlerErrors: errors, gatewayErrors: gateway };
}
