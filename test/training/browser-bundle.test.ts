// The trainer must bundle for browsers: file access (models, checkpoints, artifacts by path) is loaded only
// when used, so a browser bundle that trains from bytes carries no Node module.
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bundleForBrowser } from '../browser/run-in-browser';

test('@ortrain/trainer bundles for the browser without fs or path', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ortrain-bundle-'));
  try {
    const entry = path.join(dir, 'entry.ts');
    writeFileSync(entry, "import { TrainingSession, generateArtifacts } from '@ortrain/trainer';\n(globalThis as Record<string, unknown>).t = [TrainingSession, generateArtifacts];\n");
    const { code, inputs } = await bundleForBrowser(entry);
    expect(code).toContain('checkpointBytes');
    expect(inputs.some((i) => i.includes('packages/trainer/src/session/training-session.ts'))).toBe(true);
    expect(inputs.some((i) => /^(node:)?(fs|path)$/.test(i))).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
