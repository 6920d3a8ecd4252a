#!/usr/bin/env node
// The rollout lab: a rolling restart of three instances under fixed-rate keep-alive load behind
// Caddy, with Prometheus evaluating the Grafana pack's rules, in three modes (no handling, a
// naive handler, graceful-otel). See docs/rollout-lab.md.
//
//   npm run lab                      full run (about 3 minutes)
//   npm run lab -- --short           the CI test's run (about a minute)
//   options: --out DIR (default .tmp/rollout-lab)  --modes none,naive,graceful-otel  --keep-temp
//
// Exit codes: 0 the lab ran (its verdicts are in the output), 1 it failed, 64 bad usage,
// 69 a Debian package or the build is missing, 128+n interrupted by signal n.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { proxyCounts, startCaddy } from './lib/caddy.mjs';
import { haproxyCounts, startHaproxy } from './lib/haproxy.mjs';
import { renderChart } from './lib/chart.mjs';
import { checkDependencies } from './lib/deps.mjs';
import { KubeStateMetrics } from './lib/ksm.mjs';
import { startLoad, summarise } from './lib/load.mjs';
import { MODES } from './lib/modes.mjs';
import { observed } from './lib/observed.mjs';
import { freePorts, sleep } from './lib/net.mjs';
import { dashboardExpressions, evaluateExpressions, generateLabProfile } from './lib/pack.mjs';
import { Supervisor } from './lib/procs.mjs';
import { startPrometheus, targetsFile } from './lib/prometheus.mjs';
import { expressionsSummary, table, verdict } from './lib/report.mjs';
import { Deployment } from './lib/rollout.mjs';
import { REPLICAS, RUNS } from './lib/timings.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../..');
// Replicas, one surge slot, and room for old instances still draining while the next step runs.
const SLOTS = REPLICAS * 2 + 1;

const say = (text) => process.stderr.write(`lab: ${text}\n`);
const unix = (perfMs) => (performance.timeOrigin + perfMs) / 1000;

function options() {
  const { values } = parseArgs({
    options: {
      short: { type: 'boolean', default: false },
      out: { type: 'string', default: join(ROOT, '.tmp/rollout-lab') },
      modes: { type: 'string', default: MODES.map((m) => m.id).join(',') },
      'keep-temp': { type: 'boolean', default: false },
      sequential: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const modes = values.modes.split(',').map((id) => MODES.find((m) => m.id === id.trim()));
  if (values.help || modes.includes(undefined)) {
    process.stderr.write(`usage: node examples/rollout-lab/lab.mjs [--short] [--out DIR] [--modes ${MODES.map((m) => m.id).join(',')}] [--sequential] [--keep-temp]\n`);
    process.exit(values.help ? 0 : 64);
  }
  return { run: values.short ? RUNS.short : RUNS.full, out: resolve(values.out), modes, keepTemp: values['keep-temp'], sequential: values.sequential };
}

async function runMode(ctx, mode, ports) {
  const { supervisor, caddy, haproxy, prometheus, ksm, run } = ctx;
  const deployment = new Deployment({
    supervisor,
    mode,
    slots: ports.slots,
    proxy: caddy.health,
    ksm,
    targets: targetsFile(supervisor.tmp, mode.service),
    replicas: REPLICAS,
    script: join(HERE, 'service.mjs'),
    cwd: ROOT,
  });
  const began = performance.now();
  say(`[${mode.id}] starting ${REPLICAS} instances`);
  await deployment.create();
  await sleep(run.idleS * 1000);
  // Half the load through each proxy, same instances behind both.
  const loads = [ports.front, ports.haproxyFront].map((port) => startLoad({ port, rate: run.rate / 2, requestMs: run.requestMs }));
  const load = { startedAt: loads[0].startedAt, stop: async () => (await Promise.all(loads.map((l) => l.stop()))).flat().sort((a, b) => a.at - b.at), each: loads };
  say(`[${mode.id}] load: ${run.rate} req/s of ${run.requestMs} ms requests over keep-alive for ${run.loadS} s`);
  await sleep(run.warmupS * 1000);
  say(`[${mode.id}] rolling restart`);
  const old = await deployment.rollingRestart();
  // Identical load for every mode, but never less than minTailS after the last old instance exited.
  const loadEnds = Math.max(load.startedAt + run.loadS * 1000, deployment.rollout.lastExitAt + run.minTailS * 1000);
  await sleep(Math.max(0, loadEnds - performance.now()));
  const perProxy = await Promise.all(load.each.map((l) => l.stop()));
  const results = perProxy.flat().sort((a, b) => a.at - b.at);
  const loadMs = performance.now() - load.startedAt;
  const caddyCounts = await proxyCounts(caddy.admin, mode.service);
  const haproxyCount = await haproxyCounts(haproxy.metrics, mode.service);
  const proxy = { gatewayErrors: caddyCounts.gatewayErrors + haproxyCount.gatewayErrors, caddy: caddyCounts, haproxy: haproxyCount };
  const [startS, endS] = [unix(began), unix(performance.now())];
  const seen = await observed(prometheus, mode.service, startS, endS, performance.timeOrigin + load.startedAt);
  await deployment.teardown();

  const rel = (t) => Math.round(t - load.startedAt);
  const result = {
    id: mode.id,
    service: mode.service,
    title: mode.title,
    requests: summarise(results),
    requestsByProxy: { caddy: summarise(perProxy[0]), haproxy: summarise(perProxy[1]) },
    proxy,
    alerts: seen.alerts,
    peakGatewayErrorRatio: seen.peakGatewayErrorRatio,
    exitCodes: old.map((i) => i.exit),
    timeline: {
      loadMs: Math.round(loadMs),
      rollout: { startedAt: rel(deployment.rollout.startedAt), endedAt: rel(deployment.rollout.endedAt) },
      // As Prometheus saw them: the pack's rollout window (marker + tail) and the deploy alert firing.
      packRolloutWindow: seen.rolloutWindow,
      deployAlertFiring: seen.deployAlertFiring,
      instances: deployment.describe(load.startedAt),
      // Every failed request: [ms since the load started, status or connection error].
      failures: results.filter((r) => r.error !== undefined || r.status >= 300).map((r) => [Math.round(r.at), r.status ?? r.error]),
    },
  };
  say(verdict(result));
  return result;
}

async function main() {
  const opts = options();
  const { versions, problems } = checkDependencies(ROOT);
  if (problems.length) {
    process.stderr.write(`lab: cannot run:\n  - ${problems.join('\n  - ')}\n`);
    return 69;
  }
  const supervisor = new Supervisor({ keepTemp: opts.keepTemp });
  supervisor.installExitHandlers();
  say(`${versions.caddy}; ${versions.haproxy}; ${versions.prometheus}; node ${process.version}; temp dir ${supervisor.tmp}`);

  const [adminPort, promPort, ksmPort, haproxyMetricsPort, ...rest] = await freePorts(4 + opts.modes.length * (2 + SLOTS * 2));
  const modePorts = opts.modes.map(() => {
    const [front, haproxyFront] = [rest.shift(), rest.shift()];
    return { front, haproxyFront, slots: Array.from({ length: SLOTS }, () => ({ app: rest.shift(), health: rest.shift() })) };
  });

  const ruleFiles = await generateLabProfile(ROOT, join(supervisor.tmp, 'pack'));
  const exprs = await dashboardExpressions(ROOT);
  const ksm = new KubeStateMetrics();
  await ksm.listen(ksmPort);
  const caddy = await startCaddy(supervisor, {
    adminPort,
    deployments: opts.modes.map((m, k) => ({ service: m.service, port: modePorts[k].front, slots: modePorts[k].slots })),
  });
  const haproxy = await startHaproxy(supervisor, {
    metricsPort: haproxyMetricsPort,
    deployments: opts.modes.map((m, k) => ({ service: m.service, port: modePorts[k].haproxyFront, slots: modePorts[k].slots })),
  });
  const services = opts.modes.map((m) => m.service);
  const prometheus = await startPrometheus(supervisor, { port: promPort, ruleFiles, caddyAdminPort: adminPort, haproxyMetricsPort, ksmPort, services });
  say(`Caddy admin http://127.0.0.1:${adminPort}, Prometheus http://127.0.0.1:${promPort}`);

  const started = performance.now();
  const ctx = { supervisor, caddy, haproxy, prometheus, ksm, run: opts.run };
  // The modes share nothing but the machine (own Caddy server, slots, series): by default they
  // run side by side, on the same time axis.
  const runs = [];
  if (opts.sequential) for (const [k, mode] of opts.modes.entries()) runs.push(await runMode(ctx, mode, modePorts[k]));
  else runs.push(...(await Promise.all(opts.modes.map((mode, k) => runMode(ctx, mode, modePorts[k])))));

  const expressions = await evaluateExpressions(prometheus, exprs, unix(started), unix(performance.now()));
  const modes = runs;
  const report = {
    generatedAt: new Date().toISOString(),
    versions: { ...versions, node: process.version },
    run: opts.run,
    modes,
    expressions,
    tempDir: supervisor.tmp,
  };
  mkdirSync(opts.out, { recursive: true });
  const md = `${table(modes)}\n\n${modes.map((m) => `- ${verdict(m)}`).join('\n')}\n\n${expressionsSummary(expressions)}\n`;
  const caption = `${opts.run.rate} req/s of ${opts.run.requestMs} ms over keep-alive, ${REPLICAS} instances, maxSurge 1; ${versions.caddy}; ${versions.haproxy}; ${versions.prometheus}; node ${process.version}`;
  writeFileSync(join(opts.out, 'result.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(opts.out, 'result.md'), md);
  writeFileSync(join(opts.out, 'result.svg'), renderChart(modes, { caption }));
  process.stdout.write(`\n${md}\nWritten: ${join(opts.out, 'result.json')}, result.md, result.svg\n`);

  await ksm.close();
  supervisor.cleanup();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`lab: failed: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
