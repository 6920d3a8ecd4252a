// HAProxy (Debian's haproxy 2.6) as the lab's second proxy, in front of the same instance slots as
// Caddy: one frontend and backend per deployment, named after it (the pack reads the service from
// the native exporter's `proxy` label), active health checks on /readyz every second, no retries
// (a retrying proxy would hide the errors a real load balancer returns), and the built-in
// Prometheus exporter (`http-request use-service prometheus-exporter`) on its own port.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, parseExposition, request, until } from './net.mjs';

/** @param {{ metricsPort: number, deployments: { service: string, port: number, slots: { app: number }[] }[] }} o */
export function haproxyConfig({ metricsPort, deployments }) {
  const lines = [
    'global',
    '  log stderr format raw local0 warning',
    'defaults',
    '  mode http',
    '  log global',
    '  retries 0',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    'frontend metrics',
    `  bind ${HOST}:${metricsPort}`,
    '  http-request use-service prometheus-exporter if { path /metrics }',
  ];
  for (const d of deployments) {
    lines.push(`frontend ${d.service}-front`, `  bind ${HOST}:${d.port}`, `  default_backend ${d.service}`);
    lines.push(`backend ${d.service}`, '  balance roundrobin', '  option httpchk GET /readyz', '  default-server check inter 1s fall 1 rise 1');
    d.slots.forEach((s, i) => lines.push(`  server slot${i} ${HOST}:${s.app}`));
  }
  return `${lines.join('\n')}\n`;
}

/** Starts HAProxy in the foreground; resolves once its exporter answers. */
export async function startHaproxy(supervisor, options) {
  const configPath = join(supervisor.tmp, 'haproxy.cfg');
  writeFileSync(configPath, haproxyConfig(options));
  const child = supervisor.spawn('haproxy', 'haproxy', ['-db', '-f', configPath]);
  const metrics = `http://${HOST}:${options.metricsPort}/metrics`;
  await Promise.race([
    until(async () => (await request(metrics)).status === 200, { timeoutMs: 15_000, what: 'HAProxy exporter' }),
    child.exited.then(() => Promise.reject(child.failure('haproxy exited during startup'))),
  ]);
  return { child, metrics };
}

/** HAProxy's own count of one backend's responses by class; gateway errors = its 5xx class. */
export async function haproxyCounts(metrics, backend) {
  const { body } = await request(metrics);
  const byCode = {};
  for (const s of parseExposition(body)) {
    if (s.name === 'haproxy_backend_http_responses_total' && s.labels.proxy === backend) byCode[s.labels.code] = s.value;
  }
  return { byCode, gatewayErrors: byCode['5xx'] ?? 0 };
}
