// Shared dashboard pieces: every panel and query uses the `datasource` variable, so the JSON
// imports into any Grafana without a hard-coded datasource uid.
import {
  AnnotationQueryBuilder,
  CustomVariableBuilder,
  DashboardBuilder,
  MappingType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import {
  GraphDrawStyle,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  TooltipDisplayMode,
  VisibilityMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimelinePanelBuilder } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import type { PackConfig } from '../config.ts';

export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

export function dashboard(cfg: PackConfig, slug: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .uid(`${cfg.dashboards.uidPrefix}-${slug}`)
    .description(description)
    .tags(cfg.dashboards.tags)
    .refresh(cfg.dashboards.refresh)
    .time({ from: cfg.dashboards.timeFrom, to: 'now' })
    .timezone('browser')
    .editable()
    .withVariable(
      new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus').description('Prometheus holding graceful-otel, load balancer and kube-state-metrics series.'),
    );
}

/** A label_values() query variable, multi-select with "All" meaning any value (or none). */
export function labelVariable(name: string, label: string, selector: string, labelName: string, description: string) {
  return new QueryVariableBuilder(name)
    .label(label)
    .description(description)
    .datasource(DATASOURCE)
    .query({ qryType: 1, query: `label_values(${selector}, ${labelName})`, refId: 'PrometheusVariableQueryEditor-VariableQuery' })
    .definition(`label_values(${selector}, ${labelName})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all' });
}

export function customVariable(name: string, label: string, values: string[], selected: string[], description: string) {
  return new CustomVariableBuilder(name)
    .label(label)
    .description(description)
    .values(values.join(','))
    .multi(true)
    .includeAll(false)
    .current({ text: selected, value: selected });
}

export function query(expr: string, legend: string, refId: string, kind: 'range' | 'instant' = 'range'): DataqueryBuilder {
  const q = new DataqueryBuilder().datasource(DATASOURCE).expr(expr).legendFormat(legend).refId(refId);
  return kind === 'instant' ? q.instant().format(PromQueryFormat.Table) : q.range();
}

export function legend() {
  return new VizLegendOptionsBuilder().showLegend(true).displayMode(LegendDisplayMode.Table).placement(LegendPlacement.Bottom).calcs(['max', 'lastNotNull']);
}

export function tooltip() {
  return new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending);
}

export function annotation(name: string, color: string, expr: string, title: string, text: string, valueIsTime: boolean) {
  return new AnnotationQueryBuilder()
    .name(name)
    .datasource(DATASOURCE)
    .enable(true)
    .iconColor(color)
    .expr(expr)
    .titleFormat(title)
    .textFormat(text)
    .step('30s')
    .useValueForTime(valueIsTime);
}

interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  targets: DataqueryBuilder[];
  width?: number;
  height?: number;
}

// Every panel gets title, description, unit and the datasource variable in one place.
function base<P extends { title(t: string): P; description(d: string): P; unit(u: string): P; datasource(d: object): P; withTarget(t: DataqueryBuilder): P; span(w: number): P; height(h: number): P }>(panel: P, spec: PanelSpec): P {
  const p = panel.title(spec.title).description(spec.description).unit(spec.unit).datasource(DATASOURCE).span(spec.width ?? 12).height(spec.height ?? 8);
  return spec.targets.reduce((acc, t) => acc.withTarget(t), p);
}

export function timeseries(spec: PanelSpec & { bars?: boolean }) {
  const p = base(new TimeseriesPanelBuilder(), spec).legend(legend()).tooltip(tooltip()).fillOpacity(spec.bars ? 80 : 10).lineWidth(1);
  return spec.bars ? p.drawStyle(GraphDrawStyle.Bars) : p;
}

export function table(spec: PanelSpec) {
  return base(new TablePanelBuilder(), spec).withTransformation({ id: 'merge', options: {} });
}

export function stat(spec: PanelSpec) {
  return base(new StatPanelBuilder(), spec).reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

export function stateTimeline(spec: PanelSpec & { states: readonly string[] }) {
  const options = Object.fromEntries(spec.states.map((text, index) => [String(index), { text, index }]));
  return base(new StateTimelinePanelBuilder(), spec).showValue(VisibilityMode.Auto).mergeValues(true).mappings([{ type: MappingType.ValueToText, options }]);
}
