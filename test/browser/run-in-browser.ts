import { build, Plugin } from 'esbuild';
import { existsSync, readFileSync } from 'fs';
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { dirname, extname, join, resolve } from 'path';
import { Browser, chromium } from 'playwright-core';
import { ORT_WASM_PATH } from './paths';

export { ORT_WASM_PATH };

/** Debian's chromium; playwright-core drives it through `executablePath` (no browser download). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const REPO = resolve(__dirname, '..', '..');
// onnxruntime-web's exports hide package.json; every entry it resolves to lies in dist/.
const ORT_WEB_DIST = dirname(require.resolve('onnxruntime-web'));

export interface BrowserRunOptions {
  /** Start Chromium with WebGPU on SwiftShader; the page sees `?webgpu=1` (default false). */
  webgpu?: boolean;
  /** Milliseconds to wait for the page's result (default 120000). */
  timeoutMs?: number;
  /** More folders to serve: URL prefix ('/tfjs/') to a directory whose plain files it serves. */
  assets?: Record<string, string>;
  /** Appended to the page's URL after `?webgpu=0|1` (e.g. '&rounds=3'). */
  query?: string;
}

export interface BrowserRun<T> {
  /** What the page passed to `finish()` (see page.ts), as JSON. */
  result: T;
  /** console.error / console.warn lines and uncaught page errors, in order. */
  errors: string[];
}

/** Whether browser tests run: with Chromium installed, and always under CI (where its absence must fail). */
export function browserTestsRun(): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env.CI) return true;
  console.warn(`Browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium); set CI to make them fail instead`);
  return false;
}

// Flags for a quiet, self-contained headless Chromium. WebGPU has no GPU process here, so it runs on
// SwiftShader's Vulkan; --disable-gpu would turn WebGPU off, so it is left out when WebGPU is wanted.
const BASE_FLAGS = ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage', '--disable-default-apps',
  '--disable-extensions', '--mute-audio'];
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan',
  '--use-angle=swiftshader'];
const NO_GPU_FLAGS = ['--disable-gpu'];

/** Starts Debian's Chromium headless, with WebGPU on SwiftShader when asked. */
export async function launchChromium(webgpu: boolean): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...BASE_FLAGS, ...(webgpu ? WEBGPU_FLAGS : NO_GPU_FLAGS)] });
}

/** Resolves '@ortrain/<pkg>' to the package's source face, as jest and tsconfig do. */
const workspacePackages: Plugin = {
  name: 'ortrain-workspace',
  setup(b) {
    b.onResolve({ filter: /^@ortrain\/[^/]+$/ }, (args) => ({
      path: join(REPO, 'packages', args.path.slice('@ortrain/'.length), 'src', 'index.ts'),
    }));
  },
};

/** Bundles a TypeScript entry for the browser as one ES module. */
export async function bundleForBrowser(entryFile: string): Promise<{ code: string; warnings: string[]; inputs: string[] }> {
  const out = await build({
    entryPoints: [entryFile],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    metafile: true,
    absWorkingDir: REPO, // metafile paths relative to the repository root
    logLevel: 'silent',
    plugins: [workspacePackages],
  });
  return {
    code: out.outputFiles[0].text,
    warnings: out.warnings.map((w) => w.text),
    inputs: Object.keys(out.metafile!.inputs),
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.json': 'application/json', '.map': 'application/json',
};

/** Serves the page, the bundle, onnxruntime-web's dist folder and `assets` on 127.0.0.1 at an ephemeral port. */
async function serve(bundle: string, assets: Record<string, string> = {}): Promise<{ server: Server; origin: string }> {
  const folders: Record<string, string> = { ...assets, [ORT_WASM_PATH]: ORT_WEB_DIST };
  const page = '<!doctype html><meta charset="utf-8"><title>ortrain</title><script type="module" src="/entry.js"></script>';
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    // Cross-origin isolation lets onnxruntime-web use threads if a page asks for them.
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cache-Control': 'no-store' };
    let body: string | Buffer | undefined;
    let type = 'text/plain';
    if (path === '/' || path === '/index.html') [body, type] = [page, TYPES['.html']];
    else if (path === '/entry.js') [body, type] = [bundle, TYPES['.js']];
    else {
      const prefix = Object.keys(folders).find((p) => path.startsWith(p));
      const name = prefix ? path.slice(prefix.length) : '';
      const file = prefix ? join(folders[prefix], name) : '';
      if (prefix && /^[\w.-]+$/.test(name) && existsSync(file)) [body, type] = [readFileSync(file), TYPES[extname(name)] ?? 'application/octet-stream'];
    }
    if (body === undefined) {
      res.writeHead(404, headers).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': type }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * Bundles `entryFile` (TypeScript; '@ortrain/*' from the workspace sources), opens it in headless Chromium
 * and returns what the page reports through page.ts's `finish()`. A page that fails (`fail()`, an uncaught
 * error, or no result within the timeout) rejects with the page's error and console errors.
 */
export async function runInBrowser<T = unknown>(entryFile: string, options: BrowserRunOptions = {}): Promise<BrowserRun<T>> {
  const webgpu = options.webgpu ?? false;
  const timeoutMs = options.timeoutMs ?? 120000;
  if (!existsSync(CHROMIUM)) throw new Error(`runInBrowser: Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  const { code } = await bundleForBrowser(entryFile);
  const { server, origin } = await serve(code, options.assets);
  const browser = await launchChromium(webgpu);
  const errors: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    await page.goto(`${origin}/?webgpu=${webgpu ? 1 : 0}${options.query ?? ''}`);
    const handle = await page.waitForFunction(
      () => {
        const w = window as unknown as { __result?: string; __error?: string };
        return w.__result !== undefined || w.__error !== undefined ? { result: w.__result, error: w.__error } : undefined;
      },
      undefined,
      { timeout: timeoutMs, polling: 100 },
    ).catch((e: Error) => {
      throw new Error(`runInBrowser: no result from ${entryFile} within ${timeoutMs} ms (${e.message.split('\n')[0]})` +
        (errors.length ? `; page said:\n${errors.join('\n')}` : ''));
    });
    const outcome = (await handle.jsonValue()) as { result?: string; error?: string };
    if (outcome.error !== undefined) {
      throw new Error(`runInBrowser: ${entryFile} failed: ${outcome.error}` + (errors.length ? `\npage said:\n${errors.join('\n')}` : ''));
    }
    return { result: JSON.parse(outcome.result!) as T, errors };
  } finally {
    await browser.close();
    await new Promise((ok) => server.close(ok));
  }
}
