// Medians and spread. Samples are small (5–15 alternated runs), so the spread shown is the full
// range, min–max: nothing is trimmed.

/** Summary of a list of numbers: median, min, max, count. */
export function summarize(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 };
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1), n: sorted.length };
}

/** Per-round pairs against a baseline: `fn(value, baseline)` for each round where both exist. */
export function paired(values, baselines, fn) {
  return values.map((v, i) => fn(v, baselines[i])).filter(Number.isFinite);
}

/** Formats a number with `digits` decimals, or "–" when missing. */
export function fmt(value, digits = 1) {
  return Number.isFinite(value) ? value.toFixed(digits) : '–';
}

/** "median (min–max)" of a summary. */
export function fmtSummary(s, digits = 1, unit = '') {
  if (s.n === 0) return '–';
  if (s.n === 1) return `${fmt(s.median, digits)}${unit}`;
  return `${fmt(s.median, digits)}${unit} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

/** A number with its sign: "+1.2", "−0.3". */
export function fmtSigned(x, digits = 1) {
  return x > 0 ? `+${fmt(x, digits)}` : x < 0 ? `−${fmt(-x, digits)}` : fmt(x, digits);
}

/** Signed difference, e.g. "+1.2 ms (−0.3…+2.0)". */
export function fmtDelta(s, digits = 1, unit = '') {
  if (s.n === 0) return '–';
  const sign = (x) => fmtSigned(x, digits);
  if (s.n === 1) return `${sign(s.median)}${unit}`;
  return `${sign(s.median)}${unit} (${sign(s.min)}…${sign(s.max)})`;
}

/** Rotates a list by `round` so each variant takes every position across rounds (A/B alternation). */
export function rotate(list, round) {
  const k = round % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}
