import { DataType } from './schema';

/** Element types by the names onnxruntime-common uses for tensors. */
export type DType =
  | 'float32' | 'float64' | 'float16' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32'
  | 'int64' | 'uint64' | 'bool' | 'string';

const TO_ONNX: Record<DType, number> = {
  float32: DataType.FLOAT, float64: DataType.DOUBLE, float16: DataType.FLOAT16, int8: DataType.INT8,
  uint8: DataType.UINT8, int16: DataType.INT16, uint16: DataType.UINT16, int32: DataType.INT32,
  uint32: DataType.UINT32, int64: DataType.INT64, uint64: DataType.UINT64, bool: DataType.BOOL,
  string: DataType.STRING,
};
const FROM_ONNX = new Map<number, DType>(Object.entries(TO_ONNX).map(([k, v]) => [v, k as DType]));

export function toOnnxDataType(dtype: DType): number {
  const code = TO_ONNX[dtype];
  if (code === undefined) throw new RangeError(`dtype: unknown element type '${String(dtype)}'`);
  return code;
}

export function fromOnnxDataType(code: number): DType {
  const dtype = FROM_ONNX.get(code);
  if (dtype === undefined) throw new RangeError(`data_type: ONNX element type ${code} is not supported`);
  return dtype;
}

/** Bytes per element in raw_data (bool is one byte; string has no fixed size). */
export function bytesPerElement(dtype: DType): number {
  switch (dtype) {
    case 'float64': case 'int64': case 'uint64': return 8;
    case 'float32': case 'int32': case 'uint32': return 4;
    case 'float16': case 'int16': case 'uint16': return 2;
    case 'int8': case 'uint8': case 'bool': return 1;
    default: throw new RangeError(`dtype: '${dtype}' has no fixed element size`);
  }
}

export function isFloatType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
}
