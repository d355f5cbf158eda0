/**
 * The dashboard end to end: a real platform in this process and Debian's chromium driving the
 * built app. Screenshots of each page go to a temp artifacts dir (paths are printed).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { EventKind } from '../../src/api/kinds/event.js';
import { ProjectKind } from '../../src/api/kinds/project.js';
import { dashboardDir } from '../../src/web/dashboard-files.js';
import { startTestPlatform, type TestPlatform } from '../support/test-platform.js';
import { artifactsDir, browserUnavailable, launchBrowser } from './browser.js';
import { contrastRatio, tabOrder, TEXT_PAIRS, themeColours, unlabelledControls } from './page-checks.js';

const inCi = process.env.CI === 'true';
const missing = browserUnavailable() ?? (existsSync(join(dashboardDir(), 'index.html')) ? undefined : `the dashboard is not built at ${dashboardDir()} (npm run build:web)`);
// In CI a missing browser or build is a failure, never a silent skip.
const skip = missing && !inCi ? `skipped: ${missing}` : false;

describe('dashboard in a real browser', { skip }, () => {
  let tp: TestPlatform;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let shots: string;
  const shot = async (name: string, p: Page = page) => {
    const path = join(shots, `${name}.png`);
    await p.screenshot({ path, fullPage: true });
    console.log(`screenshot: ${path}`);
  };
  const ui = (path: string) => `${tp.url}/ui/${path}`;

  before(async () => {
    if (missing) throw new Error(`dashboard browser tests cannot run in CI: ${missing}`);
    tp = await startTestPlatform();
    shots = artifactsDir(mkdtempSync(join(tmpdir(), 'capstan-web-')));
    browser = await launchBrowser();
    ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await ctx.newPage();
  });
  after(async () => {
    await browser?.close();
    await tp?.stop();
  });

  test('a wrong token is refused in words; the right one opens the overview with the identity', async () => {
    await page.goto(ui(''));
    await page.getByLabel('API token').fill('cap_not_a_real_token_at_all');
    await page.getByRole('button', { name: 'Sign in with a token' }).click();
    await page.getByRole('alert').filter({ hasText: 'the bearer token is not valid' }).waitFor();
    await shot('sign-in-refused');
    await page.getByLabel('API token').fill(tp.token);
    await page.getByRole('button', { name: 'Sign in with a token' }).click();
    await page.locator('[data-ready="true"]').waitFor();
    assert.match(new URL(page.url()).pathname, /^\/ui\/p\/default\/?$/);
    assert.equal(await page.locator('.identity strong').textContent(), 'admin');
    assert.ok(await page.getByRole('heading', { name: 'Recent events' }).isVisible());
    // The default project's creation event is listed among recent events.
    await page.locator('text=Project/default').first().waitFor();
    await shot('overview');
  });

  test('signs in with user and password (an httpOnly session cookie) and writes with the CSRF header', async () => {
    const other = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    try {
      const p = await other.newPage();
      await p.goto(ui(''));
      await p.getByLabel('User').fill('admin');
      await p.getByLabel('Password').fill('not the password');
      await p.getByRole('button', { name: 'Sign in', exact: true }).click();
      await p.getByRole('alert').filter({ hasText: 'wrong user name or password' }).waitFor();
      await p.getByLabel('Password').fill(tp.platform.adminPassword!);
      await p.getByRole('button', { name: 'Sign in', exact: true }).click();
      await p.locator('[data-ready="true"]').waitFor();
      assert.equal(await p.locator('.identity strong').textContent(), 'admin');
      const cookies = await other.cookies();
      assert.ok(cookies.find((c) => c.name === 'capstan_session')?.httpOnly, 'the session cookie is httpOnly');
      assert.equal(await p.evaluate(() => localStorage.getItem('capstan.token')), 'session', 'no token is kept in the page');
      // A write from the session (the YAML editor) carries the CSRF header and succeeds.
      await p.goto(ui('p/default/projects/~new'));
      await p.getByLabel('Project YAML').fill('apiVersion: capstan.dev/v1alpha1\nkind: Project\nmetadata:\n  name: web-session\nspec: {}\n');
      await p.getByRole('button', { name: 'Create' }).click();
      await p.waitForURL(/\/ui\/p\/web-session\/?$/);
      assert.equal((await tp.client.get(ProjectKind, undefined, 'web-session')).metadata.annotations?.['capstan.dev/created-by'], 'admin');
      // The project's page answers "who can do what here" (the access review).
      await p.goto(ui('p/default/projects/default'));
      await p.getByRole('heading', { name: 'Who can do what here' }).waitFor();
      await p.locator('section[aria-label="Access"] td', { hasText: 'cluster-admin' }).first().waitFor();
      await shot('project-access', p);
    } finally {
      await other.close();
    }
  });

  test('creates a project from the YAML editor and switches to it', async () => {
    await page.goto(ui('p/default/projects/~new'));
    const editor = page.getByLabel('Project YAML');
    await editor.fill('apiVersion: capstan.dev/v1alpha1\nkind: Project\nmetadata:\n  name: web-e2e\nspec:\n  displayName: Web test\n');
    await shot('project-new');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/ui\/p\/web-e2e\/?$/);
    await page.locator('[data-ready="true"]').waitFor();
    const created = await tp.client.get(ProjectKind, undefined, 'web-e2e');
    assert.equal((created.spec as { displayName?: string }).displayName, 'Web test');
    assert.equal(await page.getByLabel('Project', { exact: true }).inputValue(), 'web-e2e');
  });

  test('a bad field is shown on its own line with the server\'s words', async () => {
    await page.goto(ui('p/web-e2e/projects/~new'));
    const yaml = 'apiVersion: capstan.dev/v1alpha1\nkind: Project\nmetadata:\n  name: bad-one\nspec:\n  displayName: Fine\n  colour: red\n';
    await page.getByLabel('Project YAML').fill(yaml);
    await page.getByRole('button', { name: 'Create' }).click();
    const problem = page.locator('ul.problems li[data-field="spec.colour"]');
    await problem.waitFor();
    assert.equal(await problem.getAttribute('data-line'), '7', 'the cause sits on the line of "colour:"');
    assert.match((await problem.textContent()) ?? '', /unknown field/);
    assert.equal(await page.locator('.gutter span.bad').count(), 1);
    assert.equal(await page.locator('.gutter span.bad').getAttribute('data-line'), '7');
    await page.getByRole('alert').filter({ hasText: 'Not created' }).waitFor();
    assert.equal(await tp.client.tryGet(ProjectKind, undefined, 'bad-one'), undefined);
    await shot('field-error');
  });

  test('creates an object in the project from YAML, then edits and applies it', async () => {
    await page.goto(ui('p/web-e2e/events/~new'));
    const yaml = 'apiVersion: capstan.dev/v1alpha1\nkind: Event\nmetadata:\n  name: from-the-ui\n  namespace: web-e2e\ninvolvedObject:\n  kind: Project\n  name: web-e2e\ntype: Warning\nreason: UiTest\nmessage: written by the dashboard test\n';
    await page.getByLabel('Event YAML').fill(yaml);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/ui\/p\/web-e2e\/events\/from-the-ui/);
    await page.getByRole('heading', { name: /from-the-ui/ }).waitFor();
    const ev = await tp.client.get(EventKind, 'web-e2e', 'from-the-ui');
    assert.equal(ev.reason, 'UiTest');
    await page.getByRole('tab', { name: 'YAML' }).click();
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    const editor = page.getByLabel('Edit Event from-the-ui');
    const text = await editor.inputValue();
    assert.doesNotMatch(text, /resourceVersion|uid:/, 'server-owned metadata is left out of the editor');
    await editor.fill(text.replace('written by the dashboard test', 'edited in the dashboard'));
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('status').filter({ hasText: 'Applied' }).waitFor();
    assert.equal((await tp.client.get(EventKind, 'web-e2e', 'from-the-ui')).message, 'edited in the dashboard');
    await page.locator('pre.code', { hasText: 'edited in the dashboard' }).waitFor();
    await shot('object-yaml');
    await page.getByRole('tab', { name: 'Summary' }).click();
    await shot('object-summary');
  });

  test('a change made elsewhere arrives through the watch without a reload', async () => {
    await page.goto(ui('p/web-e2e/events'));
    await page.locator('tr[data-name="from-the-ui"]').waitFor();
    await page.locator('.live', { hasText: 'Live' }).waitFor();
    await page.evaluate(() => ((window as unknown as { noReload: number }).noReload = 42));
    await tp.client.create(EventKind, { apiVersion: 'capstan.dev/v1alpha1', kind: 'Event', metadata: { name: 'from-the-api', namespace: 'web-e2e' }, involvedObject: { kind: 'Project', name: 'web-e2e' }, reason: 'Outside', message: 'made through the API' });
    await page.locator('tr[data-name="from-the-api"]').waitFor({ timeout: 10_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { noReload?: number }).noReload), 42, 'the page was not reloaded');
    await tp.client.delete(EventKind, 'web-e2e', 'from-the-api');
    await page.locator('tr[data-name="from-the-api"]').waitFor({ state: 'detached', timeout: 10_000 });
    await shot('list-live');
  });

  test('an unknown object and an unknown kind say what to do next', async () => {
    await page.goto(ui('p/web-e2e/events/not-there'));
    await page.getByText('Event "not-there" does not exist in web-e2e').waitFor();
    await page.goto(ui('p/web-e2e/widgets'));
    await page.getByText('This server does not serve "widgets"').waitFor();
    await shot('not-found');
  });

  test('every page a person uses has labelled inputs and reachable actions', async () => {
    const pages = ['p/web-e2e', 'p/web-e2e/events', 'p/web-e2e/events/from-the-ui', 'p/web-e2e/projects/~new'];
    for (const p of pages) {
      await page.goto(ui(p));
      await page.locator('main h1').first().waitFor();
      assert.deepEqual(await unlabelledControls(page), [], `unlabelled controls on /ui/${p}`);
    }
    await page.goto(ui('p/web-e2e/events'));
    await page.locator('tr[data-name="from-the-ui"]').waitFor();
    const order = await tabOrder(page, 60);
    const reached = (re: RegExp) => order.findIndex((s) => re.test(s));
    assert.ok(reached(/^a:Skip to content/) === 0, `first Tab goes to the skip link: ${order.slice(0, 3)}`);
    for (const re of [/^select:Project/, /^button:.*Change theme/, /^a:Overview/, /^a:Events/, /^a:New event/, /^input:Filter/, /^a:from-the-ui/]) {
      assert.ok(reached(re) >= 0, `Tab reaches ${re} (order: ${order.join(' | ')})`);
    }
    // The skip link really moves focus past the navigation.
    await page.locator('a.skip').focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'main');
  });

  test('theme colours meet WCAG AA contrast in light and dark', async () => {
    await page.goto(ui('p/web-e2e'));
    await page.locator('[data-ready="true"]').waitFor();
    const worst: string[] = [];
    for (const theme of ['light', 'dark'] as const) {
      const c = await themeColours(page, theme);
      for (const [fg, bg] of TEXT_PAIRS) {
        const ratio = contrastRatio(c[fg], c[bg]);
        if (ratio < 4.5) worst.push(`${theme} ${fg} on ${bg}: ${ratio.toFixed(2)}`);
      }
      await shot(`overview-${theme}`);
    }
    assert.deepEqual(worst, [], 'pairs below 4.5:1');
  });

  test('phone width: no sideways scrolling, navigation still reachable', async () => {
    // Its own context: its own storage (signs in again) and its own connections.
    const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      const phone = await phoneCtx.newPage();
      await phone.goto(ui(''));
      await phone.getByLabel('API token').fill(tp.token);
      await phone.getByRole('button', { name: 'Sign in with a token' }).click();
      await phone.locator('[data-ready="true"]').waitFor();
      for (const p of ['p/web-e2e', 'p/web-e2e/events', 'p/web-e2e/events/from-the-ui']) {
        await phone.goto(ui(p));
        await phone.locator('main h1').first().waitFor();
        await shot(`phone-${p.split('/').slice(2).join('-') || 'overview'}`, phone);
        const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 1, `/ui/${p} scrolls sideways by ${overflow}px at 390px`);
        assert.ok(await phone.getByRole('link', { name: 'Overview' }).isVisible());
      }
    } finally {
      await phoneCtx.close();
    }
  });

  test('signing out forgets the token', async () => {
    await page.goto(ui('p/web-e2e'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem('capstan.token')), null);
  });
});
