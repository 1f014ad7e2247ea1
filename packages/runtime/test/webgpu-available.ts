import { existsSync } from 'fs';

/** Debian chromium's SwiftShader Vulkan driver: WebGPU for onnxruntime-node on a machine without a GPU. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/**
 * Whether the WebGPU tests run: with a Vulkan driver named in VK_ICD_FILENAMES (tools/jest-ort-environment.js names
 * SwiftShader when it is installed), and always under CI, where a missing driver must fail, not skip.
 */
export function webgpuTestsRun(): boolean {
  const available = !!process.env.VK_ICD_FILENAMES && existsSync(process.env.VK_ICD_FILENAMES);
  if (!available && !process.env.CI) {
    console.warn(`WebGPU tests skipped: no Vulkan driver (${SWIFTSHADER_ICD} is missing and VK_ICD_FILENAMES is unset); ` +
      'install Debian chromium and libvulkan1, or set CI to make them fail instead');
  }
  return available || !!process.env.CI;
}
