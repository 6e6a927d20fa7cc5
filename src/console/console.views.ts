import { Eta } from 'eta';
import { HTMX_CONFIG } from './console.assets';
import { TEMPLATES } from './console.templates';

/** Who is signed in, as the layout shows it; csrfToken goes into hx-headers for every htmx request. */
export interface ConsoleUser {
  admin: boolean;
  email: string | null;
  accountId: string | null;
  csrfToken: string;
}

const iso = (v: string | Date | null | undefined) => (v ? new Date(v).toISOString().replace('.000Z', 'Z') : '');

/** Helpers every template gets as `it.h`. */
export const helpers = {
  time: (v: string | Date | null | undefined) => (v ? iso(v).replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC') : '—'),
  age: (seconds: number | null | undefined) => {
    if (seconds === null || seconds === undefined) return '—';
    const s = Math.max(0, Math.round(seconds));
    if (s < 90) return `${s} s`;
    if (s < 5400) return `${Math.round(s / 60)} min`;
    if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
    return `${(s / 86400).toFixed(1)} d`;
  },
  json: (v: unknown) => JSON.stringify(v, null, 2),
  /** A query string of the non-empty values (for filter-preserving links). */
  qs: (params: Record<string, string | number | undefined | null>) => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    const s = q.toString();
    return s ? `?${s}` : '';
  },
  short: (id: string | null | undefined) => (id ? id.slice(0, 8) : '—'),
  enc: encodeURIComponent,
};

/** The console's templates (eta), loaded once from strings: no files to copy into dist/, no build step. */
class ConsoleViews {
  private readonly eta = new Eta({ autoEscape: true, autoTrim: false, cache: true, useWith: false });

  constructor() {
    for (const [name, source] of Object.entries(TEMPLATES)) this.eta.loadTemplate(`@${name}`, source);
  }

  /** A full page in the layout. */
  page(name: string, title: string, user: ConsoleUser | null, data: Record<string, unknown> = {}, nav = ''): string {
    return this.eta.render(`@${name}`, { ...data, title, user, nav, htmxConfig: HTMX_CONFIG, h: helpers, layoutName: '@layout' });
  }

  /** A fragment for an htmx swap (no layout). */
  fragment(name: string, data: Record<string, unknown> = {}): string {
    return this.eta.render(`@${name}`, { ...data, h: helpers, layoutName: null });
  }
}

export const consoleViews = new ConsoleViews();
