// Drives the training page of apps/example/web as a user would: the site is built the way `npm run web`
// builds it, served from a temporary folder, and opened in headless Chromium.
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import type { Browser, Page } from 'playwright-core';
import { buildWeb, serveStatic } from '../../apps/example/web/build';
import type { Predictions } from '../../apps/example/web/protocol';
import type { EpochReport } from '../../apps/example/web/train-loop';

export interface WebSite {
  url: string;
  close(): Promise<void>;
}

/** Builds the site into a temporary folder and serves it. */
export async function startSite(): Promise<WebSite> {
  const dir = mkdtempSync(join(tmpdir(), 'ortrain-web-'));
  await buildWeb(dir);
  const { server, url } = await serveStatic(dir);
  return {
    url,
    close: async () => {
      await new Promise((ok) => server.close(ok));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface OpenPage {
  page: Page;
  /** Uncaught page errors, in order. */
  pageErrors: string[];
  /** Requests to anywhere but the site (refused: the page must work offline). */
  foreign: string[];
}

export async function openPage(browser: Browser, site: WebSite): Promise<OpenPage> {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 760 } });
  const foreign: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(site.url) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('close', () => void context.close());
  await page.goto(site.url);
  return { page, pageErrors, foreign };
}

/** The result element's data attributes once the run has reached one of `states`. */
export async function waitForResult(page: Page, states: string[], timeoutMs: number): Promise<Record<string, string>> {
  const selector = states.map((s) => `[data-testid=result][data-state=${s}]`).join(', ');
  await page.waitForSelector(selector, { timeout: timeoutMs, state: 'attached' });
  return page.$eval('[data-testid=result]', (e) => ({ ...(e as HTMLElement).dataset }) as Record<string, string>);
}

/** What the page recorded (window.__ortrainWeb). */
export async function seen(page: Page): Promise<{ steps: number[]; losses: number[]; epochs: EpochReport[]; predictions?: Predictions; state: string }> {
  return page.evaluate(() => JSON.parse(JSON.stringify((window as unknown as { __ortrainWeb: unknown }).__ortrainWeb)));
}

/** Clicks a button that makes the page save a file, and returns the file's bytes. */
export async function download(page: Page, testid: string): Promise<Buffer> {
  const [file] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click(`[data-testid=${testid}]`)]);
  const stream = await file.createReadStream();
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Chooses files for a file input: name and contents. */
export async function choose(page: Page, testid: string, name: string, contents: Buffer | string, mimeType = 'application/octet-stream'): Promise<void> {
  await page.setInputFiles(`[data-testid=${testid}]`, { name, mimeType, buffer: Buffer.isBuffer(contents) ? contents : Buffer.from(contents) });
}
