// A jest environment in which typed arrays are Node's own. onnxruntime-node's native code creates output
// tensors with the main realm's Float32Array etc., and onnxruntime-common checks `data instanceof
// Float32Array`; in jest's default sandbox those are another realm's classes and every run fails with
// "A float32 tensor's data must be type of Float32Array". Sharing the classes makes both sides agree.
// It also points the Vulkan loader at SwiftShader when no driver is named, so that onnxruntime-node's WebGPU
// provider finds an adapter on machines without a GPU: the loader reads the real environment, which a test's
// process.env (a copy) cannot change.
const fs = require('fs');
const NodeEnvironment = require('jest-environment-node').TestEnvironment;

const TYPED_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'ArrayBuffer', 'DataView'];

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

class OrtEnvironment extends NodeEnvironment {
  constructor(config, context) {
    if (!process.env.VK_ICD_FILENAMES && fs.existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}
module.exports = OrtEnvironment;
