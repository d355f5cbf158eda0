/** Launches Debian's chromium through playwright-core for the dashboard tests and benchmark. */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Where the system chromium is (Debian's package); CAPSTAN_CHROMIUM overrides for other distros. */
export const CHROMIUM_PATH = process.env.CAPSTAN_CHROMIUM ?? '/usr/bin/chromium';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/**
 * Why browser tests cannot run here, or undefined when they can. In CI (CI=true) a missing
 * chromium is a failure the caller must raise; locally the tests skip with this message.
 */
export function browserUnavailable(): string | undefined {
  if (!existsSync(CHROMIUM_PATH)) return `chromium not found at ${CHROMIUM_PATH} (apt-get install chromium, or set CAPSTAN_CHROMIUM)`;
  return undefined;
}

/** Starts headless chromium. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true });
}

/** A directory for screenshots, printed so a person (or CI) can find them. */
export function artifactsDir(base: string): string {
  const dir = join(base, 'artifacts');
  mkdirSync(dir, { recursive: true });
  return dir;
}
