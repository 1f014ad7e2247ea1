// `npm run web`: builds the page into apps/example/dist-web and serves it on localhost;
// `npm run web -- --build-only` only writes the static site (any static host serves it; it needs no CDN:
// onnxruntime-web's wasm files and the digits demo's model and CSV are in it). `--port N` picks the port.
import { build, type Plugin } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'fs';
import { createServer, type Server } from 'http';
import type { AddressInfo } from 'net';
import { dirname, extname, join, normalize, resolve, sep } from 'path';

const APP = resolve(__dirname, '..');
const REPO = resolve(APP, '..', '..');
export const DIST_WEB = join(APP, 'dist-web');
/** The onnxruntime-web files the page loads: the WebGPU-capable (JSEP) build, which also runs WASM. */
export const ORT_FILES = ['ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm'];

/** '@ortrain/<pkg>' to the package's source face, as jest and tsconfig resolve it. */
const workspacePackages: Plugin = {
  name: 'ortrain-workspace',
  setup(b) {
    b.onResolve({ filter: /^@ortrain\/[^/]+$/ }, (args) => ({ path: join(REPO, 'packages', args.path.slice('@ortrain/'.length), 'src', 'index.ts') }));
  },
};

/**
 * The example's model-info.ts (shared with the CLI) imports node:fs for its file-reading function, which the
 * page never calls (it describes a model's bytes); in the browser that module is empty.
 */
const noNodeFiles: Plugin = {
  name: 'no-node-files',
  setup(b) {
    b.onResolve({ filter: /^(node:)?(fs|path)$/ }, (args) => ({ path: args.path, namespace: 'no-node-files' }));
    b.onLoad({ filter: /.*/, namespace: 'no-node-files' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** The page's own script runs no model: onnxruntime stays out of it (the worker loads it). */
const noOnnxRuntime: Plugin = {
  name: 'no-onnxruntime',
  setup(b) {
    b.onResolve({ filter: /^onnxruntime-(node|web|common)$/ }, (args) => ({ path: args.path, namespace: 'no-onnxruntime' }));
    b.onLoad({ filter: /.*/, namespace: 'no-onnxruntime' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

/** Builds the static site into `outDir` (emptied first). */
export async function buildWeb(outDir = DIST_WEB): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'ort'), { recursive: true });
  mkdirSync(join(outDir, 'demo'), { recursive: true });
  const common = {
    outdir: outDir, bundle: true, platform: 'browser', format: 'esm', target: 'es2022', minify: true, sourcemap: true, logLevel: 'warning',
  } as const;
  await Promise.all([
    build({ ...common, entryPoints: { main: join(__dirname, 'main.ts') }, plugins: [workspacePackages, noNodeFiles, noOnnxRuntime] }),
    build({ ...common, entryPoints: { worker: join(__dirname, 'worker.ts') }, plugins: [workspacePackages, noNodeFiles] }),
  ]);
  copyFileSync(join(__dirname, 'index.html'), join(outDir, 'index.html'));
  const ortDist = dirname(require.resolve('onnxruntime-web'));
  for (const f of ORT_FILES) copyFileSync(join(ortDist, f), join(outDir, 'ort', f));
  copyFileSync(join(APP, 'models', 'digits-mlp.onnx'), join(outDir, 'demo', 'digits-mlp.onnx'));
  copyFileSync(join(APP, 'data', 'digits.csv'), join(outDir, 'demo', 'digits.csv'));
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm',
  '.map': 'application/json', '.csv': 'text/csv', '.onnx': 'application/octet-stream',
};

/** Serves a folder on 127.0.0.1; `port` 0 picks a free one. */
export async function serveStatic(dir: string, port = 0): Promise<{ server: Server; url: string }> {
  const root = resolve(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(port, '127.0.0.1', ok));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

async function main(argv: string[]): Promise<void> {
  const buildOnly = argv.includes('--build-only');
  const portAt = argv.indexOf('--port');
  const port = portAt >= 0 ? Number(argv[portAt + 1]) : 8080;
  const unknown = argv.filter((a, i) => a !== '--build-only' && a !== '--port' && !(portAt >= 0 && i === portAt + 1));
  if (unknown.length || !(Number.isInteger(port) && port >= 0 && port < 65536)) {
    throw new RangeError(`usage: npm run web -- [--build-only] [--port N]; got ${argv.join(' ')}`);
  }
  await buildWeb();
  console.log(`wrote ${DIST_WEB}`);
  if (buildOnly) return;
  const { url } = await serveStatic(DIST_WEB, port);
  console.log(`serving the page at ${url} (Ctrl+C stops)`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: Error) => {
    console.error(err instanceof RangeError ? err.message : err);
    process.exit(1);
  });
}
