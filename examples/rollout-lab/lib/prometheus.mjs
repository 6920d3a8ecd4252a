// Prometheus (Debian's prometheus 2.42) with a temp TSDB, 1 s scrapes and evaluations, and the
// pack's lab-profile rule files. Scrapes Caddy's admin /metrics, the lab's kube-state-metrics
// stand-in, and each graceful-otel instance's health server (targets through file_sd, rewritten
// as instances come and go).
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST, request, until } from './net.mjs';
import { PROMETHEUS } from './timings.mjs';

/** Namespace the lab's series carry (the pack keys everything by namespace and service). */
export const NAMESPACE = 'lab';

export function targetsFile(tmp, service) {
  return join(tmp, `targets-${service}.json`);
}

/** Writes the file_sd targets of one service atomically (Prometheus watches the file). */
export function writeTargets(path, instances) {
  const groups = instances.map((i) => ({ targets: [`${HOST}:${i.healthPort}`], labels: { namespace: NAMESPACE, pod: i.name } }));
  writeFileSync(`${path}.tmp`, JSON.stringify(groups));
  renameSync(`${path}.tmp`, path);
}

function config({ tmp, ruleFiles, caddyAdminPort, haproxyMetricsPort, ksmPort, services }) {
  // JSON is valid YAML: no YAML library needed.
  return {
    global: { scrape_interval: PROMETHEUS.scrapeInterval, scrape_timeout: '900ms', evaluation_interval: PROMETHEUS.evaluationInterval },
    rule_files: ruleFiles,
    scrape_configs: [
      {
        job_name: 'caddy',
        // Caddy knows no Kubernetes: these labels give its series a namespace and the pack reads
        // the service from Caddy's `server` label (one server per deployment).
        static_configs: [{ targets: [`${HOST}:${caddyAdminPort}`], labels: { graceful_namespace: NAMESPACE } }],
      },
      {
        // HAProxy's native exporter: the backend (`proxy` label) is named after the service.
        job_name: 'haproxy',
        static_configs: [{ targets: [`${HOST}:${haproxyMetricsPort}`], labels: { graceful_namespace: NAMESPACE } }],
      },
      {
        job_name: 'kube-state-metrics',
        honor_labels: true,
        static_configs: [{ targets: [`${HOST}:${ksmPort}`] }],
      },
      // job = service, like a ServiceMonitor: the pack's graceful-otel rules key on it.
      ...services.map((service) => ({
        job_name: service,
        file_sd_configs: [{ files: [targetsFile(tmp, service)], refresh_interval: '1s' }],
      })),
    ],
  };
}

export class Prometheus {
  constructor(url, child) {
    this.url = url;
    this.child = child;
  }

  async #api(path, params) {
    const { status, body } = await request(`${this.url}/api/v1/${path}`, {
      method: 'POST',
      body: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      timeoutMs: 20_000,
    });
    const parsed = JSON.parse(body);
    if (parsed.status !== 'success') return { error: `${parsed.errorType}: ${parsed.error}`, status };
    return { result: parsed.data.result };
  }

  /** Instant query; `{ error }` when Prometheus rejects it (a parse error is errorType bad_data). */
  query(expr, timeS) {
    return this.#api('query', { query: expr, ...(timeS ? { time: String(timeS) } : {}) });
  }

  /** Resolves once every static job has been scraped successfully. Prometheus hands new targets
   * to its scrapers at most every 5 s: without this the first mode's first seconds go unseen. */
  async waitForScrapes(jobs) {
    const expr = `up{job=~"${jobs.join('|')}"} == 1`;
    await until(async () => (await this.query(expr)).result?.length === jobs.length, { timeoutMs: 20_000, intervalMs: 250, what: `Prometheus to scrape ${jobs.join(', ')}` });
  }

  /** Range query between two Unix times (seconds). */
  queryRange(expr, startS, endS, stepS = 1) {
    return this.#api('query_range', { query: expr, start: String(startS), end: String(endS), step: String(stepS) });
  }
}

/** Writes the config and starts Prometheus; resolves once it is ready. */
export async function startPrometheus(supervisor, { port, ...options }) {
  const configPath = join(supervisor.tmp, 'prometheus.yml');
  for (const service of options.services) writeTargets(targetsFile(supervisor.tmp, service), []);
  writeFileSync(configPath, JSON.stringify(config({ tmp: supervisor.tmp, ...options }), null, 2));
  const child = supervisor.spawn('prometheus', 'prometheus', [
    `--config.file=${configPath}`,
    `--storage.tsdb.path=${join(supervisor.tmp, 'tsdb')}`,
    `--web.listen-address=${HOST}:${port}`,
    '--log.level=warn',
  ]);
  const url = `http://${HOST}:${port}`;
  await Promise.race([
    until(async () => (await request(`${url}/-/ready`)).status === 200, { timeoutMs: 30_000, what: 'Prometheus to be ready' }),
    child.exited.then(() => Promise.reject(child.failure('prometheus exited during startup'))),
  ]);
  const prometheus = new Prometheus(url, child);
  await prometheus.waitForScrapes(['caddy', 'kube-state-metrics']);
  return prometheus;
}
