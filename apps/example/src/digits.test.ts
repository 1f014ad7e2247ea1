import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

describe('the main job (npm start)', () => {
  test('trains the digits MLP to at least 95% held-out accuracy and exports a model plain onnxruntime-node agrees with', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ortrain-digits-')), 'digits.onnx');
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'apps/example/src/digits.ts', '--out', out, '--no-progress'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^epoch 20\/20 +loss/m);
    const session = /held-out rows \(359\): loss [\d.]+, accuracy ([\d.]+)%/.exec(r.stdout);
    const plain = /plain onnxruntime-node on the exported model: max output difference [\d.e+-]+, accuracy ([\d.]+)%/.exec(r.stdout);
    expect(Number(session![1])).toBeGreaterThanOrEqual(95);
    expect(plain![1]).toBe(session![1]);
    expect(existsSync(out)).toBe(true);
  });

  test('a target it cannot reach (one epoch) exits non-zero, saying so', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ortrain-digits-')), 'digits.onnx');
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'apps/example/src/digits.ts', '--epochs', '1', '--out', out, '--no-progress'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/held-out accuracy [\d.]+% is below the target 95%/);
  });

  test('WebGPU on a machine without Vulkan: one clean line naming the provider, no stack trace, exit 1', () => {
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'apps/example/src/digits.ts', '--execution-provider', 'webgpu', '--no-progress'], {
      cwd: ROOT,
      encoding: 'utf8',
      // A Vulkan loader that finds no driver, as on a machine without one.
      env: { ...process.env, VK_ICD_FILENAMES: join(tmpdir(), 'no-such-vulkan-icd.json'), ORTRAIN_DEBUG: '' },
    });
    expect(r.status).toBe(1);
    // The Vulkan loader and Dawn write their own warnings (native code); ours is one line.
    const ours = r.stderr.split('\n').filter((l) => l.startsWith('ortrain:'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/^ortrain: executionProviders: none of 'webgpu' could start/);
    expect(r.stderr).not.toMatch(/\.ts:\d+|Error: /);
  });
});
