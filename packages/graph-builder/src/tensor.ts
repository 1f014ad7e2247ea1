import { DType, bytesPerElement, fromOnnxDataType, toOnnxDataType } from './dtype';
import type { TensorProto } from './proto';

/** The typed array that holds each element type (float16 as raw bits in a Uint16Array, as onnxruntime does). */
export type TypedArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

export type TensorData = TypedArray | string[];

const ARRAY_OF: Partial<Record<DType, new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TypedArray>> = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, int8: Int8Array, uint8: Uint8Array,
  int16: Int16Array, uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array,
  uint64: BigUint64Array, bool: Uint8Array,
};

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Makes a TensorProto with raw_data (little-endian, as ONNX requires). */
export function tensorFromArray(name: string, dtype: DType, dims: readonly number[], data: TensorData | ArrayLike<number | bigint | boolean>): TensorProto {
  const count = elementCount(dims);
  if (data.length !== count) {
    throw new RangeError(`tensor '${name}': ${data.length} values do not fill shape [${dims.join(', ')}] (${count} elements)`);
  }
  const proto: TensorProto = { name, dataType: toOnnxDataType(dtype), dims: [...dims] };
  if (dtype === 'string') {
    proto.stringData = (data as string[]).map((s) => new TextEncoder().encode(s));
    return proto;
  }
  const Ctor = ARRAY_OF[dtype]!;
  const typed = data instanceof Ctor ? (data as TypedArray) : convert(dtype, data as ArrayLike<unknown>);
  // Copy so that later writes to the caller's array do not change the model.
  proto.rawData = new Uint8Array(typed.buffer.slice(typed.byteOffset, typed.byteOffset + typed.byteLength));
  return proto;
}

function convert(dtype: DType, data: ArrayLike<unknown>): TypedArray {
  const Ctor = ARRAY_OF[dtype]!;
  const out = new (Ctor as unknown as new (n: number) => TypedArray)(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = (data as ArrayLike<number | bigint | boolean>)[i];
    if (dtype === 'int64' || dtype === 'uint64') (out as BigInt64Array)[i] = BigInt(v as number);
    else if (dtype === 'float16') (out as Uint16Array)[i] = float32ToFloat16(Number(v));
    else (out as Float32Array)[i] = Number(v);
  }
  return out;
}

/** Reads a TensorProto's values into the typed array of its element type (a fresh copy). */
export function tensorToArray(tensor: TensorProto): TensorData {
  const name = tensor.name ?? '(unnamed)';
  if (tensor.dataLocation === 1 || (tensor.externalData && tensor.externalData.length > 0)) {
    const loc = tensor.externalData?.find((e) => e.key === 'location')?.value;
    throw new RangeError(`tensor '${name}': external data${loc ? ` in '${loc}'` : ''} is not supported; embed the weights in the model file`);
  }
  const dtype = fromOnnxDataType(tensor.dataType ?? 0);
  const dims = tensor.dims ?? [];
  const count = elementCount(dims);
  if (dtype === 'string') return (tensor.stringData ?? []).map((b) => new TextDecoder().decode(b));
  const Ctor = ARRAY_OF[dtype]!;
  const size = bytesPerElement(dtype);
  let out: TypedArray;
  if (tensor.rawData && tensor.rawData.length > 0) {
    if (tensor.rawData.length !== count * size) {
      throw new RangeError(`tensor '${name}': raw_data has ${tensor.rawData.length} bytes, shape [${dims.join(', ')}] of ${dtype} needs ${count * size}`);
    }
    // A fresh copy at offset 0: decoded bytes are often a Buffer view into a pool, at any offset (and Buffer.slice does not copy).
    const copy = new Uint8Array(tensor.rawData);
    out = new Ctor(copy.buffer, copy.byteOffset, count);
  } else {
    out = typedFieldValues(tensor, dtype, count, name);
  }
  return out;
}

function typedFieldValues(t: TensorProto, dtype: DType, count: number, name: string): TypedArray {
  const Ctor = ARRAY_OF[dtype]!;
  const out = new (Ctor as unknown as new (n: number) => TypedArray)(count);
  let src: ArrayLike<number | string>;
  switch (dtype) {
    case 'float32': src = t.floatData ?? []; break;
    case 'float64': src = t.doubleData ?? []; break;
    case 'int64': src = t.int64Data ?? []; break;
    case 'uint32': case 'uint64': src = t.uint64Data ?? []; break;
    // int32_data carries every small integer type, bool and float16 bits.
    default: src = t.int32Data ?? [];
  }
  if (src.length !== count) {
    throw new RangeError(`tensor '${name}': ${src.length} values in its typed field do not fill ${count} elements`);
  }
  for (let i = 0; i < count; i++) {
    if (dtype === 'int64' || dtype === 'uint64') (out as BigInt64Array)[i] = BigInt(src[i]);
    else (out as Float32Array)[i] = Number(src[i]);
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half-precision bits of a number, rounded to nearest even (the number is a float32 first, as the name says). */
export function float32ToFloat16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** The number that IEEE half-precision bits stand for. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
