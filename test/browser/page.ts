// Browser-side half of run-in-browser.ts: a page entry reports its result (or failure) here.

/** Whether the harness started Chromium with WebGPU. */
export function webgpuRequested(): boolean {
  return new URL(location.href).searchParams.get('webgpu') === '1';
}

/** Hands a JSON-serialisable result to the test. */
export function finish(result: unknown): void {
  (window as unknown as { __result?: string }).__result = JSON.stringify(result);
}

/** Reports a failure to the test, with its stack when there is one. */
export function fail(error: unknown): void {
  const e = error as { stack?: string; message?: string };
  (window as unknown as { __error?: string }).__error = e?.stack ?? e?.message ?? String(error);
}

/** Runs `main` and reports what it returns or throws. */
export function runPage(main: () => Promise<unknown>): void {
  main().then(finish, fail);
}
