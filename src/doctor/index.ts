/**
 * `graceful-otel doctor [files… | -]`: checks Kubernetes manifests for shutdown timings that do
 * not line up (the README's "Checking manifests: doctor" lists the rules).
 */
import { processIO, type CommandIO } from '../cli-io.js';
import { appContainers, type AppContainer } from './container.js';
import type { Finding } from './finding.js';
import { formatHuman, formatJson, type Report } from './format.js';
import { parseInputs, readInputs, UsageError } from './input.js';
import { readPreStop } from './lifecycle.js';
import { collectObjects, findWorkloads, type K8sObject } from './manifest.js';
import { budgetRules } from './rules/budget.js';
import { configFree, makeCheck, type Rule } from './rules/check.js';
import { configRules } from './rules/config.js';
import { entrypointRules } from './rules/entrypoint.js';
import { loadBalancerRules } from './rules/load-balancer.js';
import { preStopRules } from './rules/prestop.js';
import { probeRules } from './rules/probes.js';
import { processManagerRules } from './rules/process-manager.js';

/** Rule families that need a valid configuration. */
const RULES: readonly Rule[] = [budgetRules, preStopRules, probeRules, processManagerRules, loadBalancerRules];

export const DOCTOR_USAGE = `Usage: graceful-otel doctor [--format human|json] <file | directory | ->...

Checks Kubernetes manifests (multi-document YAML, List kinds, kustomize or helm output on stdin with -)
for shutdown timings that do not line up with graceful-otel's budget. Exit code: 0 when no finding
is an error, 1 when one is, 2 for a usage or YAML error.
`;

/** Standard streams of a subcommand, so tests and the bin share one code path. */

/** Runs the doctor; resolves to the exit code. */
export function doctor(args: readonly string[], io: CommandIO = processIO): number {
  let format = 'human';
  const inputs: string[] = [];
  try {
    for (let i = 0; i < args.length; i++) {
      const arg = args[i] as string;
      if (arg === '-h' || arg === '--help') {
        io.stdout(DOCTOR_USAGE);
        return 0;
      } else if (arg === '--format' || arg.startsWith('--format=')) {
        format = arg === '--format' ? (args[++i] ?? '') : arg.slice('--format='.length);
        if (format !== 'human' && format !== 'json') throw new UsageError(`--format ${JSON.stringify(format)} is not known: expected human or json`, true);
      } else if (arg.startsWith('-') && arg !== '-') {
        throw new UsageError(`unknown option ${arg}`, true);
      } else {
        inputs.push(arg);
      }
    }
    if (inputs.length === 0) throw new UsageError('name the manifests to check (files, directories, or - for stdin)', true);
    const report = check(inputs, io);
    io.stdout(format === 'json' ? formatJson(report) : formatHuman(report));
    return report.findings.some((f) => f.severity === 'error') ? 1 : 0;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`graceful-otel doctor: ${error.message}\n${error.showUsage ? `\n${DOCTOR_USAGE}` : ''}`);
    return 2;
  }
}

function check(inputs: readonly string[], io: CommandIO): Report {
  const sources = readInputs(inputs, io.readStdin);
  const objects = collectObjects(parseInputs(sources));
  const apps = findWorkloads(objects).map((workload) => appContainers(workload, objects));
  const findings = apps.flat().flatMap((app) => findingsFor(app, objects));
  return {
    files: sources.map((s) => s.file),
    workloads: apps.filter((list) => list.length > 0).length,
    containers: apps.flat().length,
    findings: unique(findings),
  };
}

function findingsFor(app: AppContainer, objects: readonly K8sObject[]): Finding[] {
  const findings = [...configRules(app), ...entrypointRules(configFree(app))];
  if (app.config instanceof Error) return findings;
  const checkOne = makeCheck(app, app.config, readPreStop(app), objects);
  return [...findings, ...RULES.flatMap((rule) => rule(checkOne))];
}

/** Two containers behind one Service would report the same load-balancer finding twice. */
function unique(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = JSON.stringify({ ...f, workload: undefined, container: undefined });
    return seen.has(key) ? false : (seen.add(key), true);
  });
}
