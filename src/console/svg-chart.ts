/** Colours of event statuses in the overview chart (presentation attributes, not styles: the CSP allows no inline style). */
export const STATUS_COLOURS: Record<string, string> = {
  done: '#2e9d5b', pending: '#e0a526', processing: '#4f86d6', failed: '#e66b2e', dead: '#b00020', held: '#7a5cc9', ignored: '#9aa3b2',
};

export interface MinuteCount {
  /** Start of the minute. */
  minute: Date;
  status: string;
  n: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * Events per minute for the `minutes` minutes up to `now`, stacked by status, as inline SVG markup (rendered on
 * the server: no chart library, no script). Each bar has a <title> with its counts.
 */
export function eventsPerMinuteSvg(counts: MinuteCount[], now: Date, minutes = 60, width = 900, height = 180): string {
  const end = Math.floor(now.getTime() / 60_000) * 60_000;
  const start = end - (minutes - 1) * 60_000;
  const buckets = new Map<number, Map<string, number>>();
  for (const c of counts) {
    const t = Math.floor(c.minute.getTime() / 60_000) * 60_000;
    if (t < start || t > end) continue;
    const b = buckets.get(t) ?? new Map<string, number>();
    b.set(c.status, (b.get(c.status) ?? 0) + c.n);
    buckets.set(t, b);
  }
  let max = 0;
  for (const b of buckets.values()) max = Math.max(max, [...b.values()].reduce((a, v) => a + v, 0));
  const top = Math.max(1, niceCeil(max));
  const left = 40, bottom = 20, plotW = width - left - 8, plotH = height - bottom - 8;
  const barW = plotW / minutes;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" class="events-chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`);
  parts.push(`<title>Events per minute by status, last ${minutes} minutes (max ${max})</title>`);
  for (const v of [0, top / 2, top]) {
    const y = 8 + plotH - (v / top) * plotH;
    parts.push(`<line x1="${left}" y1="${y.toFixed(1)}" x2="${width - 8}" y2="${y.toFixed(1)}" stroke="#e3e6ec" stroke-width="1"/>`);
    parts.push(`<text x="${left - 4}" y="${(y + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#6b7486">${formatNumber(v)}</text>`);
  }
  const statuses = Object.keys(STATUS_COLOURS);
  for (let i = 0; i < minutes; i++) {
    const t = start + i * 60_000;
    const b = buckets.get(t);
    const x = left + i * barW;
    if (i % 10 === 0 || i === minutes - 1) {
      const label = new Date(t).toISOString().slice(11, 16);
      parts.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${height - 6}" font-size="10" text-anchor="middle" fill="#6b7486">${label}</text>`);
    }
    if (!b) continue;
    let y = 8 + plotH;
    const tip: string[] = [];
    const extra = [...b.keys()].filter((s) => !statuses.includes(s));
    for (const s of [...statuses, ...extra]) {
      const n = b.get(s) ?? 0;
      if (n === 0) continue;
      tip.push(`${s} ${n}`);
      const h = (n / top) * plotH;
      y -= h;
      parts.push(`<rect x="${(x + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${STATUS_COLOURS[s] ?? '#444'}" data-status="${esc(s)}"><title>${new Date(t).toISOString().slice(11, 16)} UTC: ${esc(tip[tip.length - 1])}</title></rect>`);
    }
  }
  parts.push('</svg>');
  return parts.join('');
}

function niceCeil(v: number): number {
  if (v <= 5) return Math.max(v, 1);
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
