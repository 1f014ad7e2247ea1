// A jest environment in which typed arrays are Node's own. onnxruntime-node's native code creates output
// tensors with the main realm's Float32Array etc., and onnxruntime-common checks `data instanceof
// Float32Array`; in jest's default sandbox those are another realm's classes and every run fails with
// "A float32 tensor's data must be type of Float32Array". Sharing the classes makes both sides agree.
const NodeEnvironment = require('jest-environment-node').TestEnvironment;

const TYPED_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'ArrayBuffer', 'DataView'];

class OrtEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of TYPED_ARRAYS) this.global[name] = globalThis[name];
  }
}
module.exports = OrtEnvironment;
