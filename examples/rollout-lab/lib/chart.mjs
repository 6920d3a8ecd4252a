// The lab's chart as hand-written SVG (no dependency): one panel per mode on a shared time axis
// (seconds since the load started), failed requests per bucket as bars, the rollout marker as a
// band, and one lane per old instance from SIGTERM to exit, split into graceful-otel's phases.

const BUCKET_MS = 250;
const WIDTH = 960;
const LEFT = 150;
const RIGHT = 70;
const PLOT_H = 90;
const LANE_H = 11;

const COLORS = {
  gateway: '#d62728',
  connection: '#ff7f0e',
  rollout: '#cfe0f3',
  window: '#edf3fa',
  alert: '#8b0000',
  sigterm: '#555',
  ready: '#2ca02c',
  delay: '#f2c94c',
  drain: '#56a0d3',
  hooks: '#9467bd',
  flush: '#aaaaaa',
  stopped: '#d62728',
  grid: '#e5e5e5',
};
const PHASES = ['delay', 'drain', 'hooks', 'flush'];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const f = (n) => (Math.round(n * 10) / 10).toString();

/** Failed requests per bucket: gateway errors (502/503/504) and the rest (resets, timeouts, others). */
function buckets(failures, loadMs) {
  const n = Math.ceil(loadMs / BUCKET_MS) + 1;
  const gateway = new Array(n).fill(0);
  const other = new Array(n).fill(0);
  for (const [at, what] of failures) {
    if ([502, 503, 504].includes(what)) gateway[Math.floor(at / BUCKET_MS)]++;
    else other[Math.floor(at / BUCKET_MS)]++;
  }
  return { gateway, other };
}

/** A panel from one mode of result.json (times in ms since that mode's load started). */
function panel(mode) {
  const t = mode.timeline;
  return {
    title: mode.title,
    loadMs: t.loadMs,
    failures: t.failures,
    rollout: t.rollout,
    window: t.packRolloutWindow ?? [],
    alert: t.deployAlertFiring ?? [],
    ready: t.instances.filter((i) => i.revision > 1).map((i) => i.readyAt),
    old: t.instances.filter((i) => i.deletedAt !== undefined && !i.teardown).map((i) => ({ ...i, stopAt: i.deletedAt, phasesMs: i.summary?.phases_ms })),
  };
}

/** The SVG for the `modes` of a lab result (result.json's `modes`). */
export function renderChart(modes, { caption = '' } = {}) {
  const panels = modes.map(panel);
  const maxMs = Math.max(...panels.map((p) => p.loadMs));
  const x = (ms) => LEFT + (ms / maxMs) * (WIDTH - LEFT - RIGHT);
  const series = panels.map((p) => buckets(p.failures, p.loadMs));
  const yMax = Math.max(1, ...series.flatMap((s) => s.gateway.map((g, i) => g + s.other[i])));
  const out = [];
  let y = 62;
  legend(out);
  panels.forEach((p, k) => {
    const top = y + 24;
    const lanes = p.old.length;
    const height = 24 + PLOT_H + 8 + lanes * LANE_H + 26;
    out.push(`<text x="10" y="${y + 12}" font-weight="bold">${esc(p.title)}</text>`);
    const bandH = PLOT_H + 8 + lanes * LANE_H;
    const clip = (ms) => Math.min(Math.max(ms, 0), maxMs);
    // The pack's rollout window (marker plus its tail, as recorded in Prometheus), under the marker.
    for (const [a, b] of p.window) out.push(`<rect x="${f(x(clip(a)))}" y="${top}" width="${f(x(clip(b)) - x(clip(a)))}" height="${bandH}" fill="${COLORS.window}"/>`);
    // Rollout marker: the Deployment's Progressing condition with reason ReplicaSetUpdated.
    out.push(`<rect x="${f(x(p.rollout.startedAt))}" y="${top}" width="${f(x(p.rollout.endedAt) - x(p.rollout.startedAt))}" height="${bandH}" fill="${COLORS.rollout}"/>`);
    for (const [a, b] of p.alert) out.push(`<rect x="${f(x(clip(a)))}" y="${top - 6}" width="${f(Math.max(2, x(clip(b)) - x(clip(a))))}" height="4" fill="${COLORS.alert}"/>`);
    for (let g = 0; g <= 4; g++) {
      const gy = top + PLOT_H - (g / 4) * PLOT_H;
      out.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${f(gy)}" y2="${f(gy)}" stroke="${COLORS.grid}"/>`);
      out.push(`<text x="${LEFT - 6}" y="${f(gy + 4)}" text-anchor="end" font-size="10">${f((g / 4) * yMax)}</text>`);
    }
    out.push(`<text x="${LEFT - 40}" y="${top + PLOT_H / 2}" text-anchor="end" font-size="10" fill="#444">failed /${BUCKET_MS} ms</text>`);
    const barW = Math.max(1, x(BUCKET_MS) - x(0) - 0.5);
    series[k].gateway.forEach((g, i) => {
      const o = series[k].other[i];
      if (g + o === 0) return;
      const hG = (g / yMax) * PLOT_H;
      const hO = (o / yMax) * PLOT_H;
      const bx = f(x(i * BUCKET_MS));
      if (g) out.push(`<rect x="${bx}" y="${f(top + PLOT_H - hG)}" width="${f(barW)}" height="${f(hG)}" fill="${COLORS.gateway}"/>`);
      if (o) out.push(`<rect x="${bx}" y="${f(top + PLOT_H - hG - hO)}" width="${f(barW)}" height="${f(hO)}" fill="${COLORS.connection}"/>`);
    });
    for (const at of p.ready) out.push(`<line x1="${f(x(at))}" x2="${f(x(at))}" y1="${top}" y2="${top + 6}" stroke="${COLORS.ready}" stroke-width="2"/>`);
    p.old.forEach((i, lane) => {
      const ly = top + PLOT_H + 8 + lane * LANE_H;
      out.push(`<line x1="${f(x(i.stopAt))}" x2="${f(x(i.stopAt))}" y1="${top}" y2="${ly + LANE_H - 2}" stroke="${COLORS.sigterm}" stroke-dasharray="2,2"/>`);
      out.push(`<text x="${LEFT - 6}" y="${ly + 8}" text-anchor="end" font-size="9">${esc(i.name)}</text>`);
      let at = i.stopAt;
      const parts = i.phasesMs ? PHASES.filter((ph) => i.phasesMs[ph] !== undefined).map((ph) => [ph, i.phasesMs[ph]]) : [['stopped', i.exitAt - i.stopAt]];
      for (const [phase, ms] of parts) {
        const w = Math.max(2, x(at + ms) - x(at));
        out.push(`<rect x="${f(x(at))}" y="${ly}" width="${f(w)}" height="${LANE_H - 3}" fill="${COLORS[phase]}"><title>${esc(`${i.name} ${phase} ${Math.round(ms)} ms`)}</title></rect>`);
        at += ms;
      }
      out.push(`<text x="${f(Math.max(x(i.exitAt), x(at)) + 4)}" y="${ly + 8}" font-size="9">exit ${i.exit}${i.sigkilled ? ' (SIGKILL)' : ''}</text>`);
    });
    const axisY = top + PLOT_H + 8 + lanes * LANE_H + 4;
    for (let s = 0; s <= maxMs / 1000; s += 5) {
      out.push(`<text x="${f(x(s * 1000))}" y="${axisY + 10}" text-anchor="middle" font-size="9" fill="#666">${s}s</text>`);
    }
    y += height;
  });
  if (caption) out.push(`<text x="10" y="${y + 4}" font-size="10" fill="#444">${esc(caption)}</text>`);
  const total = y + 14;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${total}" viewBox="0 0 ${WIDTH} ${total}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="20" font-size="15" font-weight="bold">Rolling restart under load behind Caddy: failed requests over time</text>
${out.join('\n')}
</svg>
`;
}

function legend(out) {
  const items = [
    ['gateway', 'gateway error (502/503/504)'],
    ['connection', 'other failure (reset, timeout)'],
    ['rollout', 'rollout (Progressing: ReplicaSetUpdated)'],
    ['window', "pack's rollout window (marker + tail)"],
    ['alert', 'deploy alert firing'],
    ['ready', 'new instance in rotation'],
    ['delay', 'delay'],
    ['drain', 'drain'],
    ['hooks', 'hooks'],
    ['flush', 'flush'],
    ['stopped', 'SIGTERM → exit (without graceful-otel)'],
  ];
  let lx = 10;
  let ly = 30;
  for (const [key, label] of items) {
    const w = 24 + label.length * 5.4;
    if (lx + w > WIDTH) [lx, ly] = [10, ly + 14];
    out.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${COLORS[key]}"/><text x="${lx + 14}" y="${ly + 9}" font-size="10">${esc(label)}</text>`);
    lx += w;
  }
}
