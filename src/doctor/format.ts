/** Printing the findings: for people (default) or as JSON for CI. */
import { SEVERITIES, type Finding, type Severity } from './finding.js';

export interface Report {
  files: string[];
  /** Workloads with at least one graceful-otel container. */
  workloads: number;
  containers: number;
  findings: Finding[];
}

export function counts(findings: readonly Finding[]): Record<Severity, number> {
  return Object.fromEntries(SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length])) as Record<Severity, number>;
}

export function formatJson(report: Report): string {
  return JSON.stringify({ ...report, summary: counts(report.findings) }, null, 2) + '\n';
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function formatHuman(report: Report): string {
  if (report.containers === 0) {
    return `doctor: no container uses graceful-otel (no --import or -r graceful-otel/register in NODE_OPTIONS, command or args) in ${plural(report.files.length, 'file')}: nothing to check\n`;
  }
  const blocks = report.findings.map((f) =>
    [
      `${f.file}${f.line !== undefined ? `:${f.line}` : ''}  ${f.severity}  ${f.rule}  ${f.object} (${f.object === f.workload ? '' : `for ${f.workload}, `}container ${f.container})`,
      `  at ${f.path}`,
      `  ${f.message}`,
      ...(f.arithmetic !== undefined ? [`  arithmetic: ${f.arithmetic}`] : []),
      ...(f.fix !== undefined ? [`  fix: ${f.fix}`] : []),
    ].join('\n'),
  );
  const n = counts(report.findings);
  const summary = `doctor: ${plural(report.workloads, 'workload')} (${plural(report.containers, 'container')} with graceful-otel) in ${plural(report.files.length, 'file')}: ${plural(n.error, 'error')}, ${plural(n.warning, 'warning')}, ${n.info} info`;
  return [...blocks, summary].join('\n\n') + '\n';
}
