// Small PromQL builders shared by rules and dashboards. They only assemble text; Prometheus's own
// parser (promtool and lezer-promql, in the tests) is the judge of the result.
import type { LabelStep } from './types.js';

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds in a Prometheus duration such as "90s", "5m", "1h30m". */
export function seconds(duration: string): number {
  const parts = [...duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== duration) {
    throw new Error(`not a Prometheus duration: "${duration}"`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_SECONDS[p[2] as string] as number), 0);
}

/** The shortest Prometheus duration for a number of seconds (whole seconds). */
export function duration(totalSeconds: number): string {
  const s = Math.round(totalSeconds);
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

/** A PromQL double-quoted string literal. */
export function str(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `metric{a, b}` from matcher fragments; empty fragments are skipped. */
export function sel(metric: string, ...matchers: string[]): string {
  const inner = matchers.filter((m) => m.trim() !== '').join(', ');
  return inner ? `${metric}{${inner}}` : metric;
}

/** Anchored alternation for a `=~` matcher. */
export function alternation(values: string[]): string {
  return values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
}

export function labelReplace(expr: string, dst: string, step: LabelStep): string {
  if ('value' in step) return `label_replace(${expr}, ${str(dst)}, ${str(step.value)}, ${str(dst)}, ".*")`;
  const regex = step.regex ?? '(.+)';
  return `label_replace(${expr}, ${str(dst)}, ${str(step.replacement ?? '$1')}, ${str(step.from)}, ${str(regex)})`;
}

/** Applies label steps in order (innermost first). */
export function applySteps(expr: string, dst: string, steps: LabelStep[]): string {
  return steps.reduce((inner, step) => labelReplace(inner, dst, step), expr);
}

/** Copies label `from` into `to` unless they are the same label. */
export function renameLabel(expr: string, from: string, to: string): string {
  return from === to ? expr : labelReplace(expr, to, { from, regex: '(.*)' });
}

/** Drops NaN samples (NaN >= 0 is false), e.g. CloudWatch periods YACE has no datapoint for. */
export function dropNaN(expr: string): string {
  return `(${expr} >= 0)`;
}

// Counters created lazily (a per-code series on its first 502, graceful-otel's shutdown metrics,
// anything pushed to a Pushgateway) first appear already above zero, and rate()/increase() never
// count that first value. Series that did not exist one window ago count their whole value.
// The max_over_time keeps the value for one window after a dying pod's last scrape.

/** increase() that also counts series born within the window. */
export function increaseWithNew(selector: string, window: string): string {
  return `((increase(${selector}[${window}]) and ${selector} offset ${window}) or (max_over_time(${selector}[${window}]) unless ${selector} offset ${window}))`;
}

/** rate() that also counts series born within the window. */
export function rateWithNew(selector: string, window: string): string {
  return `((rate(${selector}[${window}]) and ${selector} offset ${window}) or (max_over_time(${selector}[${window}]) / ${seconds(window)} unless ${selector} offset ${window}))`;
}

/** Label list for `by (...)` / `on (...)`. */
export function keys(...labels: string[]): string {
  return labels.filter((l) => l !== '').join(', ');
}
