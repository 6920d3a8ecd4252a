// Dashboard JSON built by hand (Grafana schemaVersion 42): the shipped generator must not pull the
// 11 MB Grafana Foundation SDK into every install. Every panel and query uses the `datasource`
// variable, so the JSON imports into any Grafana without a hard-coded datasource uid.
import type { PackConfig } from '../types.js';

export type Json = Record<string, unknown>;

/** Grafana's current dashboard schema version (what the Foundation SDK 0.0.21 writes). */
export const SCHEMA_VERSION = 42;
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
export const UIDS = { shutdown: 'shutdown', deployErrors: 'deploy-errors' } as const;

export const dashboardUid = (cfg: PackConfig, slug: string) => `${cfg.dashboards.uidPrefix}-${slug}`;

export interface Target {
  refId: string;
  expr: string;
  legendFormat: string;
  instant?: boolean;
}

export const query = (expr: string, legendFormat: string, refId: string, kind: 'range' | 'instant' = 'range'): Target => ({ refId, expr, legendFormat, ...(kind === 'instant' ? { instant: true } : {}) });

interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  targets: Target[];
  width?: number;
  height?: number;
  /** Extra panel links (besides the dashboard links every panel carries). */
  links?: { title: string; url: string }[];
}

function targetJson(t: Target): Json {
  return {
    refId: t.refId,
    datasource: DATASOURCE,
    expr: t.expr,
    legendFormat: t.legendFormat,
    ...(t.instant ? { instant: true, range: false, format: 'table' } : { range: true, instant: false }),
  };
}

function panel(type: string, spec: PanelSpec, options: Json, custom: Json, extra: Json = {}): Json {
  return {
    type,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos: { w: spec.width ?? 12, h: spec.height ?? 8 },
    targets: spec.targets.map(targetJson),
    fieldConfig: { defaults: { unit: spec.unit, custom }, overrides: [] },
    options,
    ...(spec.links ? { links: spec.links.map((l) => ({ title: l.title, url: l.url, targetBlank: true })) } : {}),
    ...extra,
  };
}

const legend = { showLegend: true, displayMode: 'table', placement: 'bottom', calcs: ['max', 'lastNotNull'] };
const tooltip = { mode: 'multi', sort: 'desc' };

export function timeseries(spec: PanelSpec & { bars?: boolean }): Json {
  return panel('timeseries', spec, { legend, tooltip }, { fillOpacity: spec.bars ? 80 : 10, lineWidth: 1, ...(spec.bars ? { drawStyle: 'bars' } : {}) });
}

export function table(spec: PanelSpec & { columns?: Record<string, { name: string; unit?: string }> }): Json {
  const p = panel('table', spec, { showHeader: true, cellHeight: 'sm' }, { align: 'auto' }, { transformations: [{ id: 'merge', options: {} }] });
  overrides(p, Object.entries(spec.columns ?? {}).map(([column, c]) => [column, [...(c.unit ? [{ id: 'unit', value: c.unit }] : []), { id: 'displayName', value: c.name }]]));
  return p;
}

export function stat(spec: PanelSpec): Json {
  return panel('stat', spec, { reduceOptions: { calcs: ['lastNotNull'], values: false }, colorMode: 'value', graphMode: 'none' }, {});
}

export function stateTimeline(spec: PanelSpec & { states: readonly string[] }): Json {
  const p = panel('state-timeline', spec, { showValue: 'auto', mergeValues: true, legend, tooltip }, {});
  const options = Object.fromEntries(spec.states.map((text, index) => [String(index), { text, index }]));
  (p.fieldConfig as { defaults: Json }).defaults.mappings = [{ type: 'value', options }];
  return p;
}

/** Field overrides by query refId ("byFrameRefID") or by column name ("byName"). */
export function overrides(p: Json, list: [string, { id: string; value: unknown }[]][], matcher: 'byName' | 'byFrameRefID' = 'byName'): Json {
  (p.fieldConfig as { overrides: Json[] }).overrides.push(...list.map(([options, properties]) => ({ matcher: { id: matcher, options }, properties })));
  return p;
}

export function annotation(name: string, color: string, expr: string, title: string, text: string, valueIsTime: boolean): Json {
  return { name, enable: true, hide: false, iconColor: color, datasource: DATASOURCE, expr, titleFormat: title, textFormat: text, step: '30s', useValueForTime: valueIsTime };
}

/** A label_values() query variable, multi-select with "All" meaning any value (or none). */
export function labelVariable(name: string, label: string, selector: string, labelName: string, description: string): Json {
  const definition = `label_values(${selector}, ${labelName})`;
  return {
    type: 'query', name, label, description, datasource: DATASOURCE,
    query: { qryType: 1, query: definition, refId: 'PrometheusVariableQueryEditor-VariableQuery' },
    definition, refresh: 2, sort: 1, multi: true, includeAll: true, allValue: '.*', current: { text: 'All', value: '$__all' },
  };
}

export function customVariable(name: string, label: string, values: string[], selected: string[], description: string): Json {
  return { type: 'custom', name, label, description, query: values.join(','), multi: true, includeAll: false, current: { text: selected, value: selected }, options: values.map((v) => ({ text: v, value: v, selected: selected.includes(v) })) };
}

/** Lays panels out left to right, top to bottom (24 columns) and numbers them. */
function layout(panels: Json[]): Json[] {
  let [x, y, rowH] = [0, 0, 0];
  return panels.map((p, i) => {
    const { w, h } = p.gridPos as { w: number; h: number };
    if (x + w > 24) [x, y, rowH] = [0, y + rowH, 0];
    const placed = { id: i + 1, ...p, gridPos: { x, y, w, h } };
    [x, rowH] = [x + w, Math.max(rowH, h)];
    return placed;
  });
}

export interface DashboardSpec {
  slug: string;
  title: string;
  description: string;
  variables: Json[];
  annotations: Json[];
  panels: Json[];
}

export function dashboard(cfg: PackConfig, spec: DashboardSpec): Json {
  const datasource = { type: 'datasource', name: 'datasource', label: 'Data source', query: 'prometheus', description: 'Prometheus holding graceful-otel, load balancer and kube-state-metrics series.', current: {} };
  return {
    uid: dashboardUid(cfg, spec.slug),
    title: spec.title,
    description: spec.description,
    tags: cfg.dashboards.tags,
    timezone: 'browser',
    editable: false,
    graphTooltip: 1,
    schemaVersion: SCHEMA_VERSION,
    refresh: cfg.dashboards.refresh,
    time: { from: cfg.dashboards.timeFrom, to: 'now' },
    // The pack's dashboards link to each other, keeping time range and variables.
    links: [{ title: 'graceful-otel', type: 'dashboards', tags: cfg.dashboards.tags, asDropdown: false, includeVars: true, keepTime: true, targetBlank: false }],
    templating: { list: [datasource, ...spec.variables] },
    annotations: { list: spec.annotations },
    panels: layout(spec.panels),
  };
}

/** Link to the other dashboard of the pack for the panel's subject, with the selection kept. */
export function dashboardLink(cfg: PackConfig, slug: string, title: string): { title: string; url: string } {
  return { title, url: `/d/${dashboardUid(cfg, slug)}?\${__url_time_range}&\${namespace:queryparam}&\${service:queryparam}` };
}
