// The dashboard-linter rule set the pack promises, applied to generated dashboard JSON:
// datasource variable, job/instance-style variables, panel datasource from the variable,
// title + description, units, no empty targets, $__rate_interval in every rate(), counters only
// through rate/increase. (Valid PromQL is promtool's job, in dashboards.test.ts.)

type Json = Record<string, any>;

const DS_VAR = '${datasource}';
const RATE_FUNCS = /\b(rate|irate|increase)\s*\(/g;
// A raw counter: a metric name (not a recorded name with ':') ending in a counter suffix.
const COUNTER = /(?<![\w:])([a-zA-Z_][a-zA-Z0-9_]*_(?:total|count|sum|bucket))\b(?!\s*\()/g;

function usesDatasourceVar(ds: unknown): boolean {
  return typeof ds === 'object' && ds !== null && (ds as Json).uid === DS_VAR;
}

/** Index just after the parenthesis that closes the one opened at `open`. */
function closing(expr: string, open: number): number {
  let depth = 0;
  for (let i = open; i < expr.length; i++) {
    if (expr[i] === '(') depth++;
    else if (expr[i] === ')' && --depth === 0) return i + 1;
  }
  return expr.length;
}

export function lintExpr(expr: string): string[] {
  const problems: string[] = [];
  const insideRate: [number, number][] = [];
  for (const m of expr.matchAll(RATE_FUNCS)) {
    const open = (m.index as number) + m[0].length - 1;
    const end = closing(expr, open);
    insideRate.push([open, end]);
    const ranges = [...expr.slice(open, end).matchAll(/\[([^\]]*)\]/g)].map((r) => r[1]);
    if (ranges.length === 0 || ranges.some((r) => r !== '$__rate_interval')) problems.push(`${m[1]}() without [$__rate_interval]: ${expr}`);
  }
  for (const m of expr.matchAll(COUNTER)) {
    const at = m.index as number;
    if (!insideRate.some(([s, e]) => at > s && at < e)) problems.push(`counter ${m[1]} outside rate()/increase(): ${expr}`);
  }
  return problems;
}

export function lintDashboard(d: Json): string[] {
  const problems: string[] = [];
  const vars: Json[] = d.templating?.list ?? [];
  const dsVar = vars.find((v) => v.type === 'datasource' && v.name === 'datasource');
  if (!dsVar || dsVar.query !== 'prometheus') problems.push('no Prometheus `datasource` template variable');
  const queryVars = vars.filter((v) => v.type === 'query');
  if (!queryVars.some((v) => ['namespace', 'service', 'job', 'pod', 'instance'].includes(v.name))) problems.push('no job/instance-style variables');
  for (const v of queryVars) if (!usesDatasourceVar(v.datasource)) problems.push(`variable ${v.name} does not use the datasource variable`);
  if (!d.uid || !/^[a-z0-9-]{1,40}$/.test(d.uid)) problems.push(`unstable or missing uid: ${d.uid}`);
  if (!d.title || !d.description) problems.push('dashboard without title or description');

  const panels: Json[] = (d.panels ?? []).flatMap((p: Json) => (p.type === 'row' ? (p.panels ?? []) : [p]));
  for (const p of panels) {
    const name = p.title || '(untitled)';
    if (!p.title) problems.push('panel without title');
    if (!p.description) problems.push(`${name}: no description`);
    if (!p.fieldConfig?.defaults?.unit) problems.push(`${name}: no unit`);
    if (!usesDatasourceVar(p.datasource)) problems.push(`${name}: panel datasource is not \${datasource}`);
    const targets: Json[] = p.targets ?? [];
    if (targets.length === 0) problems.push(`${name}: no targets`);
    for (const t of targets) {
      if (!t.expr || !String(t.expr).trim()) problems.push(`${name}: empty target ${t.refId}`);
      if (!usesDatasourceVar(t.datasource)) problems.push(`${name}: target ${t.refId} datasource is not \${datasource}`);
      problems.push(...lintExpr(String(t.expr ?? '')).map((x) => `${name}: ${x}`));
    }
  }
  for (const a of d.annotations?.list ?? []) {
    if (!usesDatasourceVar(a.datasource)) problems.push(`annotation ${a.name}: datasource is not \${datasource}`);
    problems.push(...lintExpr(String(a.expr ?? '')).map((x) => `annotation ${a.name}: ${x}`));
  }
  return problems;
}
