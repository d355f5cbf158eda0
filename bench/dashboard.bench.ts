/**
 * `npm run bench:dashboard`: the production bundle's compressed JavaScript for the first page,
 * and the time from navigation to the overview's first meaningful content (counts, attention
 * list and recent events rendered from the API) with 1,000 objects in the project, in Debian's
 * headless chromium. The baseline measured in the same run is the same page on an empty project.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { EventKind } from '../src/api/kinds/event.js';
import { ModelKind } from '../src/api/kinds/model.js';
import { ProjectKind } from '../src/api/kinds/project.js';
import { dashboardDir } from '../src/web/dashboard-files.js';
import { startTestPlatform } from '../test/support/test-platform.js';
import { browserUnavailable, launchBrowser } from '../test/web/browser.js';

const OBJECTS = 1000;
const RUNS = 7;

/** gzip -9 bytes of the JS the first page loads (entry script + modulepreloads) and of all JS. */
function bundleSizes(): { firstPageJsGzip: number; firstPageJsRaw: number; allJsGzip: number; cssGzip: number } {
  const dir = dashboardDir();
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  const first = [...html.matchAll(/(?:src|href)="\/ui\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  const gz = (f: string) => gzipSync(readFileSync(join(dir, f)), { level: 9 }).length;
  const assets = readdirSync(join(dir, 'assets'));
  return {
    firstPageJsGzip: first.reduce((s, f) => s + gz(f), 0),
    firstPageJsRaw: first.reduce((s, f) => s + statSync(join(dir, f)).size, 0),
    allJsGzip: assets.filter((f) => f.endsWith('.js')).reduce((s, f) => s + gz(`assets/${f}`), 0),
    cssGzip: assets.filter((f) => f.endsWith('.css')).reduce((s, f) => s + gz(`assets/${f}`), 0),
  };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function main(): Promise<void> {
  const sizes = bundleSizes();
  const why = browserUnavailable();
  if (why) {
    console.log(`browser timing skipped: ${why}`);
    console.log(JSON.stringify({ ...sizes, browser: false }));
    return;
  }
  const tp = await startTestPlatform();
  const browser = await launchBrowser();
  try {
    const c = tp.platform.client;
    await c.create(ProjectKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name: 'empty' } });
    await c.create(ProjectKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Project', metadata: { name: 'big' } });
    // Half models (a kind with a controller and status), half events: 1,000 objects in all.
    const t0 = performance.now();
    for (let i = 0; i < OBJECTS / 2; i++) {
      await c.create(ModelKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Model', metadata: { name: `model-${String(i).padStart(4, '0')}`, namespace: 'big' }, spec: { task: 'classification', description: `bench model ${i}` } });
      await c.create(EventKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Event', metadata: { name: `event-${String(i).padStart(4, '0')}`, namespace: 'big' }, involvedObject: { kind: 'Model', name: `model-${String(i).padStart(4, '0')}` }, type: i % 10 === 0 ? 'Warning' : 'Normal', reason: 'Bench', message: `event number ${i} for the dashboard benchmark` });
    }
    const seedMs = performance.now() - t0;

    const measure = async (project: string): Promise<number[]> => {
      const out: number[] = [];
      for (let run = 0; run < RUNS + 1; run++) {
        // A fresh context each run: cold HTTP cache, nothing kept in memory, like opening a tab.
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
        await ctx.addInitScript((token: string) => {
          localStorage.setItem('capstan.token', token);
          new MutationObserver((_m, obs) => {
            if (document.querySelector('[data-ready="true"]')) {
              (window as unknown as { readyAt: number }).readyAt = performance.now();
              obs.disconnect();
            }
          }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-ready'] });
        }, tp.token);
        const page = await ctx.newPage();
        await page.goto(`${tp.url}/ui/p/${project}`);
        await page.waitForFunction(() => (window as unknown as { readyAt?: number }).readyAt !== undefined, undefined, { timeout: 30_000 });
        const ms = await page.evaluate(() => (window as unknown as { readyAt: number }).readyAt);
        await ctx.close();
        if (run > 0) out.push(ms); // run 0 warms the server and the browser
      }
      return out;
    };
    const empty = await measure('empty');
    const big = await measure('big');

    const rows: Array<[string, string]> = [
      ['first page JS, gzip -9', `${(sizes.firstPageJsGzip / 1024).toFixed(1)} KiB (raw ${(sizes.firstPageJsRaw / 1024).toFixed(1)} KiB)`],
      ['all JS, gzip -9', `${(sizes.allJsGzip / 1024).toFixed(1)} KiB`],
      ['CSS, gzip -9', `${(sizes.cssGzip / 1024).toFixed(1)} KiB`],
      [`seed ${OBJECTS} objects (LocalClient)`, `${seedMs.toFixed(0)} ms`],
      ['overview ready, empty project (baseline) p50 / max', `${quantile(empty, 0.5).toFixed(0)} / ${Math.max(...empty).toFixed(0)} ms`],
      [`overview ready, ${OBJECTS} objects p50 / max`, `${quantile(big, 0.5).toFixed(0)} / ${Math.max(...big).toFixed(0)} ms`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    console.log(`dashboard bench (${RUNS} runs each, fresh browser context per run, navigation start → overview data-ready)`);
    for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
    console.log(JSON.stringify({
      ...sizes,
      browser: true,
      objects: OBJECTS,
      runs: RUNS,
      overviewEmptyP50Ms: Math.round(quantile(empty, 0.5)),
      overviewEmptyMaxMs: Math.round(Math.max(...empty)),
      overview1000P50Ms: Math.round(quantile(big, 0.5)),
      overview1000MaxMs: Math.round(Math.max(...big)),
      seedMs: Math.round(seedMs),
    }));
  } finally {
    await browser.close();
    await tp.stop();
  }
}

await main();
