// The rules of Grafana's dashboard linter (github.com/grafana/dashboard-linter), applied to the
// generated dashboard JSON, with its rule names, plus PromQL validity from Prometheus' own grammar
// (@prometheus-io/lezer-promql). Exclusions come from dashboards/.lint, in the linter's format.
import { parser } from '@prometheus-io/lezer-promql';

type Json = Record<string, any>;
export interface Problem {
  rule: string;
  message: string;
}

const DS_VAR = '${datasource}';
const RATE_FUNCS = /\b(rate|irate|increase)\s*\(/g;
// A raw counter: a metric name (not a recorded name with ':') ending in a counter suffix.
const COUNTER = /(?<![\w:])([a-zA-Z_][a-zA-Z0-9_]*_(?:total|count|sum|bucket))\b(?!\s*\()/g;

/** Syntax errors in a PromQL expression, from Prometheus' lezer grammar (Grafana's editor uses it). */
export function promqlErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: ${JSON.stringify(expr.slice(Math.max(0, node.from - 20), node.to + 20))}`);
    },
  });
  return errors;
}

const usesDatasourceVar = (ds: unknown) => typeof ds === 'object' && ds !== null && (ds as Json).uid === DS_VAR;

/** Index just after the parenthesis that closes the one opened at `open`. */
function closing(expr: string, open: number): number {
  let depth = 0;
  for (let i = open; i < expr.length; i++) {
    if (expr[i] === '(') depth++;
    else if (expr[i] === ')' && --depth === 0) return i + 1;
  }
  return expr.length;
}

/** target-rate-interval-rule and target-counter-agg-rule for one expression (raw, with variables). */
export function lintExpr(expr: string): Problem[] {
  const problems: Problem[] = [];
  const insideRate: [number, number][] = [];
  for (const m of expr.matchAll(RATE_FUNCS)) {
    const open = (m.index as number) + m[0].length - 1;
    const end = closing(expr, open);
    insideRate.push([open, end]);
    const ranges = [...expr.slice(open, end).matchAll(/\[([^\]]*)\]/g)].map((r) => r[1]);
    if (ranges.length === 0 || ranges.some((r) => r !== '$__rate_interval')) problems.push({ rule: 'target-rate-interval-rule', message: `${m[1]}() without [$__rate_interval]: ${expr}` });
  }
  for (const m of expr.matchAll(COUNTER)) {
    const at = m.index as number;
    if (!insideRate.some(([s, e]) => at > s && at < e)) problems.push({ rule: 'target-counter-agg-rule', message: `counter ${m[1]} outside rate()/increase(): ${expr}` });
  }
  return problems;
}

/** All linter findings for one dashboard; `expand` turns a raw expression into plain PromQL. */
export function lintDashboard(d: Json, expand: (raw: string) => string): Problem[] {
  const out: Problem[] = [];
  const add = (rule: string, message: string) => out.push({ rule, message });
  const vars: Json[] = d.templating?.list ?? [];
  const dsVar = vars.find((v) => v.type === 'datasource' && v.name === 'datasource');
  if (!dsVar || dsVar.query !== 'prometheus') add('template-datasource-rule', 'no Prometheus `datasource` template variable');
  for (const name of ['job', 'instance']) {
    const v = vars.find((x) => x.name === name);
    if (!v) add(`template-${name}-rule`, `no \`${name}\` template variable`);
  }
  for (const v of vars.filter((x) => x.type === 'query')) {
    if (!usesDatasourceVar(v.datasource)) add('template-datasource-rule', `variable ${v.name} does not use the datasource variable`);
    if (v.refresh !== 2) add('template-on-time-change-reload-rule', `variable ${v.name} does not refresh on time range change`);
    const def = String(v.definition ?? '').match(/^label_values\((.*),\s*\w+\)$/);
    if (!def?.[1]) add('template-label-promql-rule', `variable ${v.name}: not a label_values() query`);
    else for (const e of promqlErrors(expand(def[1]))) add('template-label-promql-rule', `variable ${v.name}: ${e}`);
  }
  if (d.editable !== false) add('template-uneditable-rule', 'dashboard is editable');
  if (!d.uid || !/^[a-z0-9-]{1,40}$/.test(d.uid)) add('uid-rule', `unstable or missing uid: ${d.uid}`);
  if (!d.title || !d.description) add('panel-title-description-rule', 'dashboard without title or description');

  const panels: Json[] = (d.panels ?? []).flatMap((p: Json) => (p.type === 'row' ? (p.panels ?? []) : [p]));
  const ids = panels.map((p) => p.id);
  if (ids.some((id) => !Number.isInteger(id)) || new Set(ids).size !== ids.length) add('panel-id-rule', `panel ids missing or not unique: ${ids}`);
  for (const p of panels) {
    const name = p.title || '(untitled)';
    if (!p.title || !p.description) add('panel-title-description-rule', `${name}: no title or description`);
    if (!p.fieldConfig?.defaults?.unit) add('panel-units-rule', `${name}: no unit`);
    if (!usesDatasourceVar(p.datasource)) add('panel-datasource-rule', `${name}: panel datasource is not \${datasource}`);
    const targets: Json[] = p.targets ?? [];
    if (targets.length === 0) add('panel-no-targets-rule', `${name}: no targets`);
    for (const t of targets) {
      const expr = String(t.expr ?? '');
      if (!expr.trim()) add('panel-no-targets-rule', `${name}: empty target ${t.refId}`);
      if (!usesDatasourceVar(t.datasource)) add('panel-datasource-rule', `${name}: target ${t.refId} datasource is not \${datasource}`);
      for (const e of promqlErrors(expand(expr))) add('target-promql-rule', `${name} ${t.refId}: ${e}`);
      if (!/\bjob=~"\$job"/.test(expr)) add('target-job-rule', `${name} ${t.refId}: no job=~"$job" matcher`);
      if (!/\binstance=~"\$instance"/.test(expr)) add('target-instance-rule', `${name} ${t.refId}: no instance=~"$instance" matcher`);
      for (const x of lintExpr(expr)) add(x.rule, `${name}: ${x.message}`);
    }
  }
  for (const a of d.annotations?.list ?? []) {
    if (!usesDatasourceVar(a.datasource)) add('panel-datasource-rule', `annotation ${a.name}: datasource is not \${datasource}`);
    for (const e of promqlErrors(expand(String(a.expr ?? '')))) add('target-promql-rule', `annotation ${a.name}: ${e}`);
    for (const x of lintExpr(String(a.expr ?? ''))) add(x.rule, `annotation ${a.name}: ${x.message}`);
  }
  return out;
}

/** Drops findings of rules the exclusions file excludes (the linter's `.lint` format). */
export function applyExclusions(problems: Problem[], exclusions: Record<string, { reason?: string } | null>): Problem[] {
  return problems.filter((p) => !(p.rule in exclusions));
}
