import { targetLabel, type TargetName } from './load-options.js';
import type { RampResult, Ramps } from './load-report.js';
import type { VariantName } from './media-variants.js';

const COLORS: Record<VariantName, string> = { 'mulaw-json': '#1f77b4', 'l16-binary': '#2ca02c', 'opus-binary': '#d62728', 'webrtc-opus': '#9467bd' };
const W = 800;
const H = 440;
const M = { left: 64, right: 240, top: 36, bottom: 52 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * p99 round trip against sessions, log-scale y: one solid line per gateway variant, one dashed line per
 * bare relay, a dash-dot line per `--workers N` gateway, the pass/fail budget as a grey line. Failing steps are drawn hollow. Plain SVG, no library.
 */
export function renderChart(ramps: Ramps, budgetMs: number, title: string): string {
  const points: Array<{ variant: VariantName; target: TargetName; xs: number[]; ys: number[]; pass: boolean[] }> = [];
  for (const [variant, byTarget] of Object.entries(ramps) as Array<[VariantName, Ramps[VariantName]]>) {
    for (const [target, ramp] of Object.entries(byTarget ?? {}) as Array<[TargetName, RampResult | undefined]>) {
      const steps = ramp?.steps ?? [];
      if (steps.length === 0) continue;
      points.push({
        variant,
        target,
        xs: steps.map((s) => s.sessions),
        ys: steps.map((s) => (Number.isFinite(s.rttMs.p99) ? s.rttMs.p99 : 2000)),
        pass: steps.map((s) => s.pass),
      });
    }
  }
  const xMax = Math.max(100, ...points.flatMap((p) => p.xs));
  const yMin = Math.max(0.1, 10 ** Math.floor(Math.log10(Math.max(0.1, Math.min(10, ...points.flatMap((p) => p.ys))))));
  const yMax = Math.max(100, ...points.flatMap((p) => p.ys)) * 1.2;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number) => M.left + (v / xMax) * pw;
  const y = (v: number) => M.top + ph - ((Math.log10(Math.max(yMin, v)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${M.left}" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`);
  // Axes and grid.
  for (const t of [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].filter((t) => t >= yMin && t <= yMax)) {
    out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${t}</text>`);
  }
  const xStep = xMax > 2000 ? 500 : xMax > 800 ? 200 : 100;
  for (let t = 0; t <= xMax; t += xStep) {
    out.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${M.top}" y2="${M.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${x(t).toFixed(1)}" y="${M.top + ph + 16}" text-anchor="middle">${t}</text>`);
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">concurrent sessions (each 50 frames/s each way)</text>`);
  out.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">p99 round trip, ms (log)</text>`);
  out.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${y(budgetMs).toFixed(1)}" y2="${y(budgetMs).toFixed(1)}" stroke="#888" stroke-dasharray="2 3"/>`);
  out.push(`<text x="${M.left + 4}" y="${(y(budgetMs) - 4).toFixed(1)}" fill="#666">budget ${budgetMs} ms (frame + 20 ms)</text>`);
  // Series.
  points.forEach((p, i) => {
    const color = COLORS[p.variant];
    const dash = p.target === 'baseline' ? ' stroke-dasharray="6 4"' : p.target === 'gateway' ? '' : ' stroke-dasharray="10 3 2 3"';
    const path = p.xs.map((v, k) => `${k === 0 ? 'M' : 'L'}${x(v).toFixed(1)},${y(p.ys[k]!).toFixed(1)}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    p.xs.forEach((v, k) => {
      const cx = x(v).toFixed(1);
      const cy = y(p.ys[k]!).toFixed(1);
      const fill = p.pass[k] ? color : '#fff';
      out.push(p.target === 'baseline' ? `<rect x="${(Number(cx) - 3.5).toFixed(1)}" y="${(Number(cy) - 3.5).toFixed(1)}" width="7" height="7" fill="${fill}" stroke="${color}" stroke-width="1.5"/>` : `<circle cx="${cx}" cy="${cy}" r="4" fill="${fill}" stroke="${color}" stroke-width="1.5"/>`);
    });
    const ly = M.top + 14 + i * 20;
    const lx = W - M.right + 14;
    out.push(`<line x1="${lx}" x2="${lx + 28}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 34}" y="${ly}">${esc(`${p.variant} ${targetLabel(p.target)}`)}</text>`);
  });
  const ly = M.top + 14 + points.length * 20 + 10;
  out.push(`<text x="${W - M.right + 14}" y="${ly}" fill="#666">hollow = over the budget</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
