// ORT hands every output back in freshly allocated memory. With glibc's defaults, blocks of megabytes are
// mmap'ed and unmapped on every run, so each page of every output faults on first touch. Raising glibc's
// mmap threshold (MALLOC_MMAP_THRESHOLD_, read only at process start) lets those blocks be reused. This
// section runs the optimizer section again in a child process with that setting, for every contestant
// (the Python peer inherits it too), to show how much of ortrain's time is the allocator's.
import { spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

export const TUNED_MALLOC_ENV = {
  MALLOC_MMAP_THRESHOLD_: String(2 ** 31 - 1),
  MALLOC_TRIM_THRESHOLD_: String(2 ** 31 - 1),
};

export async function allocatorSection(options: { quick: boolean }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'ortrain-bench-'));
  const out = join(dir, 'optimizer.md');
  try {
    const args = [...process.execArgv, join(__dirname, 'run.ts'), '--only', 'optimizer', '--no-write', '--markdown-out', out];
    if (options.quick) args.push('--quick');
    const child = spawn(process.execPath, args, { env: { ...process.env, ...TUNED_MALLOC_ENV }, stdio: ['ignore', 'inherit', 'inherit'] });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) return `_The child run with a tuned allocator failed (exit code ${code}); see the output above._`;
    const body = readFileSync(out, 'utf8').replace(/^### /gm, '#### ');
    return [
      `The optimizer section again, in a child process started with ${Object.entries(TUNED_MALLOC_ENV).map(([k, v]) => `\`${k}=${v}\``).join(' ')}`,
      '(glibc then reuses large blocks instead of mapping fresh pages for every output); the PyTorch peer runs with the same setting.',
      '',
      body,
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
