import * as protobuf from 'protobufjs';
import { ModelProtoType } from './schema';
import type { AttributeProto, GraphProto, ModelProto, TensorProto } from './proto';

/** Thrown for bytes that are not a readable ONNX model. */
export class ModelDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelDecodeError';
  }
}

/**
 * Decodes ONNX model bytes. int64 fields become numbers, except tensor payloads (int64_data, uint64_data)
 * beyond 2^53, which stay decimal strings so that no value changes (INT64_MAX as a Slice end, say).
 * Other int64 fields beyond 2^53 (attribute ints) round to the nearest number; encodeModel clamps them back
 * into the int64 range, so INT64_MAX and INT64_MIN survive a round trip.
 */
export function decodeModel(bytes: Uint8Array, source = 'model'): ModelProto {
  let message;
  try {
    message = ModelProtoType.decode(bytes);
  } catch (err) {
    throw new ModelDecodeError(`${source}: not a valid ONNX model (${(err as Error).message}); ${bytes.length} bytes read`);
  }
  const object = ModelProtoType.toObject(message, { longs: String, arrays: false, defaults: false });
  const model = longsToNumbers(ModelProtoType, object) as ModelProto;
  if (!model.graph) throw new ModelDecodeError(`${source}: not a valid ONNX model (no graph); ${bytes.length} bytes read`);
  const external = externalTensor(model.graph);
  if (external) {
    const location = external.externalData?.find((e) => e.key === 'location')?.value;
    throw new ModelDecodeError(`${source}: tensor '${external.name ?? '(unnamed)'}' keeps its data outside the model` +
      `${location ? ` (external data in '${location}')` : ' (external data)'}; save the model with its weights inside`);
  }
  return model;
}

/** Encodes a model to ONNX bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  const message = ModelProtoType.fromObject(model);
  return ModelProtoType.encode(message).finish();
}

function isExternal(t: TensorProto | undefined): t is TensorProto {
  return !!t && (t.dataLocation === 1 || (t.externalData?.length ?? 0) > 0);
}

/** The first tensor of the graph (initializers, attribute tensors, subgraphs) whose data is external. */
function externalTensor(graph: GraphProto): TensorProto | undefined {
  const inAttribute = (a: AttributeProto): TensorProto | undefined =>
    [a.t, ...(a.tensors ?? []), a.sparseTensor?.values, ...(a.sparseTensors ?? []).map((s) => s.values)].find(isExternal) ??
    [a.g, ...(a.graphs ?? [])].map((g) => (g ? externalTensor(g) : undefined)).find((t) => t);
  return [...(graph.initializer ?? []), ...(graph.sparseInitializer ?? []).map((s) => s.values)].find(isExternal) ??
    (graph.node ?? []).flatMap((n) => n.attribute ?? []).map(inAttribute).find((t) => t);
}

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
// Tensor payload fields whose values must stay exact: out of the safe range they remain strings.
const EXACT_FIELDS = new Set(['int64Data', 'uint64Data']);

function toNumberOrString(s: string, exact: boolean): number | string {
  const n = Number(s);
  return exact && !Number.isSafeInteger(n) ? s : n;
}

/** Walks a decoded message by its schema, turning int64 strings into numbers (see decodeModel). */
function longsToNumbers(type: protobuf.Type, object: Record<string, unknown>): Record<string, unknown> {
  for (const field of type.fieldsArray) {
    const value = object[field.name];
    if (value === undefined) continue;
    if (LONG_TYPES.has(field.type)) {
      const exact = EXACT_FIELDS.has(field.name);
      object[field.name] = Array.isArray(value) ? value.map((v) => toNumberOrString(v as string, exact)) : toNumberOrString(value as string, exact);
    } else if (field.resolvedType instanceof protobuf.Type) {
      const sub = field.resolvedType;
      if (Array.isArray(value)) value.forEach((v) => longsToNumbers(sub, v as Record<string, unknown>));
      else longsToNumbers(sub, value as Record<string, unknown>);
    }
  }
  return object;
}
