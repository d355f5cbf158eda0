/** Checks run inside dashboard pages: labels on inputs, keyboard reach, theme contrast (WCAG). */
import type { Page } from 'playwright-core';

/** Inputs, selects and textareas without an accessible name, described for the failure message. */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const el of Array.from(document.querySelectorAll('input, select, textarea'))) {
      const e = el as HTMLInputElement;
      if (e.type === 'hidden') continue;
      const byFor = e.id ? document.querySelector(`label[for="${CSS.escape(e.id)}"]`)?.textContent?.trim() : '';
      const wrapped = e.closest('label')?.textContent?.trim();
      const aria = e.getAttribute('aria-label')?.trim();
      const by = e.getAttribute('aria-labelledby');
      const byText = by ? by.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim() : '';
      if (!byFor && !wrapped && !aria && !byText) out.push(e.outerHTML.slice(0, 120));
    }
    return out;
  });
}

/** Presses Tab up to `max` times from the top of the page; returns what received focus, in order. */
export async function tabOrder(page: Page, max = 40): Promise<string[]> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.evaluate(() => window.scrollTo(0, 0));
  const seen: string[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    seen.push(await page.evaluate(() => {
      const a = document.activeElement as HTMLElement | null;
      if (!a || a === document.body) return '';
      const label = a.getAttribute('aria-label') || (a as HTMLInputElement).labels?.[0]?.textContent || a.textContent || '';
      return `${a.tagName.toLowerCase()}:${label.trim().replace(/\s+/g, ' ').slice(0, 60)}`;
    }));
  }
  return seen;
}

/** Parses "rgb(r, g, b)" / "#rrggbb" into 0-255 channels. */
export function parseColour(c: string): [number, number, number] {
  const hex = /^#([0-9a-f]{6})$/i.exec(c.trim());
  if (hex) return [0, 2, 4].map((i) => parseInt(hex[1].slice(i, i + 2), 16)) as [number, number, number];
  const m = /rgba?\(\s*(\d+)[,\s]+(\d+)[,\s]+(\d+)/.exec(c);
  if (!m) throw new Error(`cannot parse colour "${c}"`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** WCAG 2.x relative luminance. */
export function luminance([r, g, b]: [number, number, number]): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG contrast ratio between two colours (1..21). */
export function contrastRatio(a: string, b: string): number {
  const la = luminance(parseColour(a));
  const lb = luminance(parseColour(b));
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** Text/background pairs of the theme that carry text, as CSS custom property names. */
export const TEXT_PAIRS: Array<[string, string]> = [
  ['--fg', '--bg'], ['--fg', '--bg-soft'], ['--fg', '--bg-raise'], ['--muted', '--bg'], ['--muted', '--bg-soft'], ['--muted', '--bg-raise'],
  ['--accent', '--bg'], ['--accent', '--bg-raise'], ['--accent-fg', '--accent-bg'], ['--ok', '--ok-bg'], ['--warn', '--warn-bg'],
  ['--bad', '--bad-bg'], ['--info', '--info-bg'], ['--fg', '--code-bg'], ['--fg', '--line-bad'], ['--bad', '--bg'],
];

/** The theme's custom property values (as the browser resolved them) for a forced theme. */
export async function themeColours(page: Page, theme: 'light' | 'dark'): Promise<Record<string, string>> {
  return page.evaluate((t) => {
    document.documentElement.setAttribute('data-theme', t);
    const cs = getComputedStyle(document.documentElement);
    const names = ['--fg', '--bg', '--bg-soft', '--bg-raise', '--muted', '--accent', '--accent-fg', '--accent-bg', '--ok', '--ok-bg', '--warn', '--warn-bg', '--bad', '--bad-bg', '--info', '--info-bg', '--code-bg', '--line-bad'];
    return Object.fromEntries(names.map((n) => [n, cs.getPropertyValue(n).trim()]));
  }, theme);
}
