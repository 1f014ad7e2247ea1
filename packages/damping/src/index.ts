// @ortrain/damping: adadamp's batch-size dampers as pure policies (no ONNX). Filled in by issue 12.
export {};
