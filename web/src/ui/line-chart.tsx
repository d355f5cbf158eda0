/**
 * A small hand-written SVG line chart (no chart library: the bundle stays small). Several series share the x axis;
 * null values leave gaps. The numbers are also given as text for screen readers.
 */
import { useId } from 'react';

/** One line. */
export interface Series {
  name: string;
  values: Array<number | null>;
  /** CSS colour; defaults to the theme's chart colours. */
  colour?: string;
}

const COLOURS = ['var(--chart-1)', 'var(--chart-2)', 'var(--chart-3)'];

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000) return `${(v / 1000).toFixed(1)}k`;
  if (a >= 10) return v.toFixed(0);
  if (a >= 1) return v.toFixed(1);
  return v.toPrecision(2);
}

/** Path data for one series over [0, n) × [lo, hi] in a w×h box (pure). */
export function linePath(values: Array<number | null>, n: number, lo: number, hi: number, w: number, h: number): string {
  const span = hi - lo || 1;
  let d = '';
  let pen = false;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    const x = n <= 1 ? w : (i / (n - 1)) * w;
    const y = h - ((v - lo) / span) * h;
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  });
  return d;
}

/** A titled chart; `xLabels` are the first and last x values as text (e.g. times or steps). */
export function LineChart({ title, series, unit, xLabels, testId }: { title: string; series: Series[]; unit?: string; xLabels?: [string, string]; testId?: string }) {
  const id = useId();
  const W = 300;
  const H = 100;
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const n = Math.max(0, ...series.map((s) => s.values.length));
  const hi = all.length ? Math.max(...all) : 1;
  const lo = all.length ? Math.min(0, ...all) : 0;
  const top = hi === lo ? lo + 1 : hi;
  const latest = series.map((s) => {
    const v = [...s.values].reverse().find((x) => x !== null);
    return `${s.name} ${v === undefined || v === null ? '—' : fmt(v)}${unit ? ` ${unit}` : ''}`;
  });
  return (
    <figure className="chart" aria-labelledby={`${id}-t`} data-testid={testId} data-points={n} data-max={all.length ? hi : 0}>
      <figcaption id={`${id}-t`}>
        <strong>{title}</strong> <span className="muted small">{latest.join(' · ')}</span>
      </figcaption>
      {n === 0 ? <p className="muted small chart-empty">No data yet: samples arrive every few seconds.</p> : (
        <svg className="chart" viewBox={`-28 -6 ${W + 34} ${H + 20}`} preserveAspectRatio="none" role="img" aria-label={`${title}: ${latest.join(', ')}`}>
          <line x1={0} y1={H} x2={W} y2={H} className="axis" />
          <line x1={0} y1={0} x2={W} y2={0} className="grid" />
          <text x={-4} y={4} textAnchor="end">{fmt(top)}</text>
          <text x={-4} y={H} textAnchor="end">{fmt(lo)}</text>
          {xLabels ? <><text x={0} y={H + 13}>{xLabels[0]}</text><text x={W} y={H + 13} textAnchor="end">{xLabels[1]}</text></> : null}
          {series.map((s, i) => (
            <path key={s.name} d={linePath(s.values, n, lo, top, W, H)} fill="none" stroke={s.colour ?? COLOURS[i % COLOURS.length]} strokeWidth={2} vectorEffect="non-scaling-stroke" strokeLinejoin="round" />
          ))}
          {series.map((s, i) => {
            // the newest point is marked, so a series of one point is visible too
            const last = s.values.length - 1;
            const v = s.values[last];
            if (v === null || v === undefined || !Number.isFinite(v)) return null;
            const x = n <= 1 ? W : (last / (n - 1)) * W;
            const y = H - ((v - lo) / (top - lo || 1)) * H;
            return <ellipse key={`${s.name}-dot`} cx={x} cy={y} rx={2.5} ry={3} fill={s.colour ?? COLOURS[i % COLOURS.length]} />;
          })}
        </svg>
      )}
      {series.length > 1 ? (
        <ul className="legend small">{series.map((s, i) => <li key={s.name}><span className="swatch" style={{ background: s.colour ?? COLOURS[i % COLOURS.length] }} aria-hidden="true" />{s.name}</li>)}</ul>
      ) : null}
    </figure>
  );
}
