// A jest environment whose typed arrays are Node's own: onnxruntime-node's native code makes output tensors
// with the main realm's Float32Array etc., and onnxruntime-common checks `data instanceof Float32Array`,
// which fails against the classes of jest's sandbox. The tests run models in onnxruntime-node to check what
// the builder and the codec emit (the package itself never imports ONNX Runtime).
const NodeEnvironment = require('jest-environment-node').TestEnvironment;

const SHARED = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array',
  'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'ArrayBuffer', 'DataView'];

class NodeTypedArraysEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}
module.exports = NodeTypedArraysEnvironment;
