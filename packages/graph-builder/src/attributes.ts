import { AttributeType } from './schema';
import type { AttributeProto, GraphProto, SparseTensorProto, TensorProto } from './proto';
import type { AttrKind } from './ops';

/** An attribute value whose kind is stated, for where a bare number would be ambiguous (1 as a float). */
export interface TypedAttribute { kind: AttrKind; value: unknown }
export const floatAttr = (value: number): TypedAttribute => ({ kind: 'float', value });
export const intAttr = (value: number): TypedAttribute => ({ kind: 'int', value });
export const floatsAttr = (value: number[]): TypedAttribute => ({ kind: 'floats', value });

export type AttributeValue = number | string | number[] | string[] | TensorProto | GraphProto | TensorProto[] | GraphProto[] | TypedAttribute;

const KIND_TYPE: Record<AttrKind, number> = {
  int: AttributeType.INT, float: AttributeType.FLOAT, string: AttributeType.STRING, tensor: AttributeType.TENSOR,
  graph: AttributeType.GRAPH, ints: AttributeType.INTS, floats: AttributeType.FLOATS, strings: AttributeType.STRINGS,
  tensors: AttributeType.TENSORS, graphs: AttributeType.GRAPHS, sparse_tensor: AttributeType.SPARSE_TENSOR,
  sparse_tensors: AttributeType.SPARSE_TENSORS, type_proto: AttributeType.TYPE_PROTO, type_protos: AttributeType.TYPE_PROTOS,
};

/** The AttributeProto field that holds each kind's value. */
export const KIND_FIELD: Readonly<Record<AttrKind, keyof AttributeProto>> = {
  int: 'i', float: 'f', string: 's', tensor: 't', graph: 'g', ints: 'ints', floats: 'floats', strings: 'strings',
  tensors: 'tensors', graphs: 'graphs', sparse_tensor: 'sparseTensor', sparse_tensors: 'sparseTensors', type_proto: 'tp',
  type_protos: 'typeProtos',
};

export function attributeKind(type: number | undefined): AttrKind | undefined {
  return (Object.keys(KIND_TYPE) as AttrKind[]).find((k) => KIND_TYPE[k] === type);
}

const isTensor = (v: unknown): v is TensorProto => typeof v === 'object' && v !== null && 'dataType' in v;

/**
 * Makes an AttributeProto. The kind comes from `declared` (the op's schema) when known, from a TypedAttribute,
 * or else from the value: integers are ints, other numbers floats.
 */
export function makeAttribute(name: string, value: AttributeValue, declared?: AttrKind): AttributeProto {
  let kind: AttrKind;
  let v: unknown = value;
  if (typeof value === 'object' && value !== null && 'kind' in value && 'value' in value && !Array.isArray(value)) {
    kind = (value as TypedAttribute).kind;
    v = (value as TypedAttribute).value;
  } else if (declared) kind = declared;
  else if (typeof value === 'number') kind = Number.isInteger(value) ? 'int' : 'float';
  else if (typeof value === 'string') kind = 'string';
  else if (Array.isArray(value)) {
    if (value.length > 0 && typeof value[0] === 'string') kind = 'strings';
    else if (value.length > 0 && isTensor(value[0])) kind = 'tensors';
    else if (value.length > 0 && typeof value[0] === 'object') kind = 'graphs';
    else kind = (value as number[]).every((x) => Number.isInteger(x)) ? 'ints' : 'floats';
  } else if (isTensor(value)) kind = 'tensor';
  else kind = 'graph';
  const attr: AttributeProto = { name, type: KIND_TYPE[kind] };
  const enc = (s: string) => new TextEncoder().encode(s);
  switch (kind) {
    case 'int': attr.i = v as number; break;
    case 'float': attr.f = v as number; break;
    case 'string': attr.s = enc(v as string); break;
    case 'tensor': attr.t = v as TensorProto; break;
    case 'graph': attr.g = v as GraphProto; break;
    case 'ints': attr.ints = [...(v as number[])]; break;
    case 'floats': attr.floats = [...(v as number[])]; break;
    case 'strings': attr.strings = (v as string[]).map(enc); break;
    case 'tensors': attr.tensors = v as TensorProto[]; break;
    case 'graphs': attr.graphs = v as GraphProto[]; break;
    case 'sparse_tensor': attr.sparseTensor = v as SparseTensorProto; break;
    default: throw new RangeError(`attribute '${name}': kind ${kind} cannot be built`);
  }
  return attr;
}

/** Reads an attribute's value back into a plain JavaScript value (strings decoded). */
export function attributeValue(attr: AttributeProto): unknown {
  const dec = (b: Uint8Array) => new TextDecoder().decode(b);
  switch (attr.type) {
    case AttributeType.INT: return attr.i ?? 0;
    case AttributeType.FLOAT: return attr.f ?? 0;
    case AttributeType.STRING: return attr.s ? dec(attr.s) : '';
    case AttributeType.TENSOR: return attr.t;
    case AttributeType.GRAPH: return attr.g;
    case AttributeType.INTS: return attr.ints ?? [];
    case AttributeType.FLOATS: return attr.floats ?? [];
    case AttributeType.STRINGS: return (attr.strings ?? []).map(dec);
    case AttributeType.TENSORS: return attr.tensors ?? [];
    case AttributeType.GRAPHS: return attr.graphs ?? [];
    case AttributeType.SPARSE_TENSOR: return attr.sparseTensor;
    case AttributeType.SPARSE_TENSORS: return attr.sparseTensors ?? [];
    case AttributeType.TYPE_PROTO: return attr.tp;
    case AttributeType.TYPE_PROTOS: return attr.typeProtos ?? [];
    default: return undefined;
  }
}
