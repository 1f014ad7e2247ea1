/** Where run-in-browser.ts serves onnxruntime-web's dist files: a page sets `ort.env.wasm.wasmPaths` to it. */
export const ORT_WASM_PATH = '/ort/';
