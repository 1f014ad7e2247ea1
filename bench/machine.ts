// What the numbers were measured on: they mean little without it.
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import { cpus, totalmem } from 'os';
import { PYTHON } from './python-peer';

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // not Linux: fall back to what Node knows
  }
  return cpus()[0]?.model ?? 'unknown';
}

function torchVersion(): string {
  try {
    return execFileSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'not installed';
  }
}

export function machineLines(): string[] {
  return [
    `- Date: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    `- CPU: ${cpuModel()}, ${cpus().length} logical cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB memory, ${process.platform} ${process.arch}`,
    `- Node ${process.version}; onnxruntime-node ${packageVersion('onnxruntime-node')}; ` +
      `@tensorflow/tfjs-core ${packageVersion('@tensorflow/tfjs-core')} with tfjs-backend-wasm ${packageVersion('@tensorflow/tfjs-backend-wasm')}; ` +
      `PyTorch ${torchVersion()} (${PYTHON})`,
  ];
}
