import { ModelProto, decodeModel } from '@ortrain/graph-builder';
import { readFileNamed } from '../checkpoint/file';

/** A model given as a file path or as ONNX bytes, decoded. */
export interface LoadedModel {
  proto: ModelProto;
  /** How errors name the model: its path, or 'model bytes'. */
  source: string;
}

/** Reads and decodes a model; a missing, corrupt or truncated file is an error naming it. */
export async function loadModel(model: string | Uint8Array, what = 'model'): Promise<LoadedModel> {
  let bytes: Uint8Array;
  let source: string;
  if (typeof model === 'string') {
    bytes = await readFileNamed(model, what);
    source = `${what} '${model}'`;
  } else if (model instanceof Uint8Array) {
    bytes = model;
    source = `${what} bytes`;
  } else {
    throw new TypeError(`${what}: expected a file path or a Uint8Array of ONNX bytes, got ${model === null ? 'null' : typeof model}`);
  }
  if (bytes.length === 0) throw new RangeError(`${source}: empty (0 bytes)`);
  const proto = decodeModel(bytes, source);
  checkModel(proto, source);
  return { proto, source };
}

/**
 * A truncated file can still decode when it ends on a field boundary; what it lost then shows as a graph with
 * no outputs, an output no node produces, or an initializer shorter than its shape.
 */
function checkModel(model: ModelProto, source: string): void {
  const graph = model.graph!;
  if (!graph.output?.length) throw new RangeError(`${source}: the graph has no outputs (truncated or not a model)`);
  const defined = new Set<string>([...(graph.input ?? []).map((i) => i.name!), ...(graph.initializer ?? []).map((t) => t.name!)]);
  for (const n of graph.node ?? []) for (const o of n.output ?? []) defined.add(o);
  for (const o of graph.output) {
    if (!defined.has(o.name!)) throw new RangeError(`${source}: output '${o.name}' is produced by no node (truncated or corrupt)`);
  }
  for (const n of graph.node ?? []) {
    for (const i of n.input ?? []) {
      if (i && !defined.has(i)) throw new RangeError(`${source}: node '${n.name || n.opType}' reads '${i}', which nothing defines (truncated or corrupt)`);
    }
  }
}
