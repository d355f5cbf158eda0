// A dependency-free SVG line chart of a simulation: GPU utilisation (left axis, %) and pending
// jobs (right axis) over time.
import type { SimulationReport } from './report.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Render the report's timeline as an SVG document. */
export function renderTimelineSvg(r: SimulationReport, width = 900, height = 360): string {
  const m = { l: 60, r: 70, t: 40, b: 45 };
  const w = width - m.l - m.r;
  const h = height - m.t - m.b;
  const pts = r.timeline;
  const tMax = pts.length > 0 ? Math.max(pts[pts.length - 1].t - pts[0].t, 1) : 1;
  const t0 = pts.length > 0 ? pts[0].t : 0;
  const pMax = Math.max(1, ...pts.map((p) => p.pending));
  const x = (t: number) => m.l + ((t - t0) / tMax) * w;
  const yU = (u: number) => m.t + h - u * h;
  const yP = (p: number) => m.t + h - (p / pMax) * h;
  const path = (f: (p: (typeof pts)[number]) => number) => pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${f(p).toFixed(1)}`).join(' ');
  const hours = tMax / 3600;
  const ticks: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const tx = m.l + (i / 5) * w;
    ticks.push(`<line x1="${tx}" y1="${m.t + h}" x2="${tx}" y2="${m.t + h + 5}" stroke="#444"/><text x="${tx}" y="${m.t + h + 18}" text-anchor="middle">${((hours * i) / 5).toFixed(1)}h</text>`);
    const ty = m.t + h - (i / 5) * h;
    ticks.push(`<line x1="${m.l}" y1="${ty}" x2="${m.l + w}" y2="${ty}" stroke="#eee"/><text x="${m.l - 8}" y="${ty + 4}" text-anchor="end">${i * 20}%</text><text x="${m.l + w + 8}" y="${ty + 4}">${Math.round((pMax * i) / 5)}</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${m.l}" y="20" font-size="14">${esc(`capstan sim — policy ${r.policy}: GPU utilisation ${(r.gpuUtilisation * 100).toFixed(1)}%, ${r.jobs} jobs, ${r.totalGpus} GPUs`)}</text>`,
    ...ticks,
    `<rect x="${m.l}" y="${m.t}" width="${w}" height="${h}" fill="none" stroke="#444"/>`,
    `<path d="${path((p) => yU(p.utilisation))}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>`,
    `<path d="${path((p) => yP(p.pending))}" fill="none" stroke="#d62728" stroke-width="1.2" stroke-dasharray="4 2"/>`,
    `<text x="${m.l}" y="${height - 8}" fill="#1f77b4">— GPU utilisation (left)</text>`,
    `<text x="${m.l + 200}" y="${height - 8}" fill="#d62728">- - pending jobs (right)</text>`,
    `<text x="${m.l + w / 2}" y="${height - 8}" text-anchor="middle">time since first submission</text>`,
    '</svg>',
  ].join('\n');
}
