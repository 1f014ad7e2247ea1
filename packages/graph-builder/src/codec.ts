import { ModelProtoType } from './schema';
import type { ModelProto } from './proto';

/** Thrown for bytes that are not a readable ONNX model. */
export class ModelDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelDecodeError';
  }
}

/**
 * Decodes ONNX model bytes. int64 fields become numbers (exact up to 2^53; int64 tensor payloads that need
 * more are kept exact through raw_data, which is how exporters store them).
 */
export function decodeModel(bytes: Uint8Array, source = 'model'): ModelProto {
  let message;
  try {
    message = ModelProtoType.decode(bytes);
  } catch (err) {
    throw new ModelDecodeError(`${source}: not a valid ONNX model (${(err as Error).message}); ${bytes.length} bytes read`);
  }
  const model = ModelProtoType.toObject(message, { longs: Number, arrays: false, defaults: false }) as ModelProto;
  if (!model.graph) throw new ModelDecodeError(`${source}: not a valid ONNX model (no graph); ${bytes.length} bytes read`);
  return model;
}

/** Encodes a model to ONNX bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  const message = ModelProtoType.fromObject(model);
  return ModelProtoType.encode(message).finish();
}
