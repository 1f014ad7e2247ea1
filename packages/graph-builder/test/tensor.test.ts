import {
  DType, DataType, TensorProto, decodeModel, encodeModel, float16ToFloat32, float32ToFloat16, tensorFromArray, tensorToArray,
} from '@ortrain/graph-builder';
import { run } from './helpers';

/** Through the wire: a TensorProto inside a model, encoded and decoded again. */
function throughWire(t: TensorProto): TensorProto {
  return decodeModel(encodeModel({ graph: { name: 'g', initializer: [t] } })).graph!.initializer![0];
}

describe('TensorProto <-> typed arrays through raw_data', () => {
  const cases: [DType, ArrayLike<number | bigint>, string][] = [
    ['float32', new Float32Array([0, -0, 1.5, -3.25e-20, 3.4e38, Infinity, -Infinity]), 'Float32Array'],
    ['float64', new Float64Array([0, Math.PI, -1e300, 5e-324, Number.MAX_VALUE]), 'Float64Array'],
    ['int32', new Int32Array([0, 1, -1, 2147483647, -2147483648]), 'Int32Array'],
    ['int64', new BigInt64Array([0n, -1n, 9223372036854775807n, -9223372036854775808n, 9007199254740993n]), 'BigInt64Array'],
    ['uint8', new Uint8Array([0, 1, 127, 128, 255]), 'Uint8Array'],
    ['bool', new Uint8Array([1, 0, 0, 1, 1]), 'Uint8Array'],
    ['float16', new Uint16Array([0x0000, 0x8000, 0x3c00, 0x7bff, 0x0001, 0x7c00, 0xfc00]), 'Uint16Array'],
  ];

  test.each(cases)('%s round trips exactly, through the wire too', (dtype, data, ctor) => {
    const t = tensorFromArray('t', dtype, [data.length], data as never);
    expect(t.rawData).toBeInstanceOf(Uint8Array);
    for (const proto of [t, throughWire(t)]) {
      const back = tensorToArray(proto);
      expect(back.constructor.name).toBe(ctor);
      expect(Array.from(back as ArrayLike<number | bigint>)).toEqual(Array.from(data));
    }
  });

  test('raw_data is little-endian as ONNX specifies', () => {
    expect(Array.from(tensorFromArray('x', 'int32', [1], new Int32Array([0x01020304])).rawData!)).toEqual([4, 3, 2, 1]);
    expect(Array.from(tensorFromArray('x', 'float32', [1], [1]).rawData!)).toEqual([0, 0, 0x80, 0x3f]);
  });

  test('plain arrays convert (numbers, booleans, bigints; float16 from numbers)', () => {
    expect(Array.from(tensorToArray(tensorFromArray('b', 'bool', [3], [true, false, true])) as Uint8Array)).toEqual([1, 0, 1]);
    expect(Array.from(tensorToArray(tensorFromArray('i', 'int64', [2], [3, -4])) as BigInt64Array)).toEqual([3n, -4n]);
    expect(Array.from(tensorToArray(tensorFromArray('h', 'float16', [3], [1, -2, 65504])) as Uint16Array)).toEqual([0x3c00, 0xc000, 0x7bff]);
  });

  test('the tensor copies the caller\'s data, and reading copies it out', () => {
    const data = new Float32Array([1, 2, 3]);
    const t = tensorFromArray('w', 'float32', [3], data);
    data[0] = 99;
    const out = tensorToArray(t) as Float32Array;
    expect(Array.from(out)).toEqual([1, 2, 3]);
    out[1] = 42;
    expect(Array.from(tensorToArray(t) as Float32Array)).toEqual([1, 2, 3]);
  });

  test('scalars (no dims) and empty tensors', () => {
    expect(Array.from(tensorToArray(tensorFromArray('s', 'float64', [], [2.5])) as Float64Array)).toEqual([2.5]);
    const empty = tensorFromArray('e', 'float32', [0, 3], new Float32Array(0));
    expect((tensorToArray(throughWire(empty)) as Float32Array).length).toBe(0);
  });

  test('a wrong number of values names the tensor and the shape', () => {
    expect(() => tensorFromArray('W', 'float32', [2, 3], new Float32Array(5))).toThrow(new RangeError("tensor 'W': 5 values do not fill shape [2, 3] (6 elements)"));
    const bad: TensorProto = { name: 'R', dataType: DataType.FLOAT, dims: [3], rawData: new Uint8Array(8) };
    expect(() => tensorToArray(bad)).toThrow(/tensor 'R': raw_data has 8 bytes, shape \[3\] of float32 needs 12/);
  });

  test('an element type ortrain does not read is a clear error', () => {
    expect(() => tensorToArray({ name: 'b16', dataType: DataType.BFLOAT16, dims: [1], rawData: new Uint8Array(2) })).toThrow(/data_type: ONNX element type 16 is not supported/);
  });
});

describe('TensorProto typed fields (float_data, int32_data, int64_data, double_data, uint64_data)', () => {
  const typed: [string, TensorProto, number[] | bigint[]][] = [
    ['float32 in float_data', { dataType: DataType.FLOAT, dims: [3], floatData: [1.5, -2, 0.1] }, [1.5, -2, Math.fround(0.1)]],
    ['float64 in double_data', { dataType: DataType.DOUBLE, dims: [2], doubleData: [0.1, -1e300] }, [0.1, -1e300]],
    ['int32 in int32_data', { dataType: DataType.INT32, dims: [2], int32Data: [-7, 2147483647] }, [-7, 2147483647]],
    ['int64 in int64_data', { dataType: DataType.INT64, dims: [3], int64Data: [-1, '9223372036854775807', 42] }, [-1n, 9223372036854775807n, 42n]],
    ['uint8 in int32_data', { dataType: DataType.UINT8, dims: [2], int32Data: [0, 255] }, [0, 255]],
    ['bool in int32_data', { dataType: DataType.BOOL, dims: [3], int32Data: [1, 0, 1] }, [1, 0, 1]],
    ['float16 bits in int32_data', { dataType: DataType.FLOAT16, dims: [2], int32Data: [0x3c00, 0xfc00] }, [0x3c00, 0xfc00]],
    ['uint32 in uint64_data', { dataType: DataType.UINT32, dims: [2], uint64Data: [0, 4294967295] }, [0, 4294967295]],
  ];

  test.each(typed)('%s', (_, proto, expected) => {
    const named = { ...proto, name: 'T' };
    for (const p of [named, throughWire(named)]) {
      expect(Array.from(tensorToArray(p) as ArrayLike<number | bigint>)).toEqual(expected);
    }
  });

  test('typed fields read by onnxruntime give the same values as tensorToArray', async () => {
    const init: TensorProto[] = typed.slice(0, 5).map(([, p], i) => ({ ...p, name: `t${i}` }));
    const model = {
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'typed',
        initializer: init,
        node: init.map((t, i) => ({ opType: 'Identity', input: [t.name!], output: [`y${i}`] })),
        output: init.map((t, i) => ({ name: `y${i}`, type: { tensorType: { elemType: t.dataType } } })),
      },
    };
    const out = await run(model, {});
    init.forEach((t, i) => expect(Array.from(out[`y${i}`].data as ArrayLike<unknown>)).toEqual(Array.from(tensorToArray(t) as ArrayLike<unknown>)));
  });

  test('a typed field of the wrong length names the tensor', () => {
    expect(() => tensorToArray({ name: 'F', dataType: DataType.FLOAT, dims: [4], floatData: [1, 2] })).toThrow(/tensor 'F': 2 values in its typed field do not fill 4 elements/);
  });
});

describe('external data', () => {
  test('is rejected with an error naming the tensor and the file', () => {
    const t: TensorProto = {
      name: 'encoder.weight', dataType: DataType.FLOAT, dims: [1000], dataLocation: 1,
      externalData: [{ key: 'location', value: 'weights.bin' }, { key: 'offset', value: '0' }],
    };
    expect(() => tensorToArray(t)).toThrow(new RangeError("tensor 'encoder.weight': external data in 'weights.bin' is not supported; embed the weights in the model file"));
    // (decodeModel refuses such models outright; see codec.test.ts.)
  });

  test('data_location EXTERNAL without entries is rejected too', () => {
    expect(() => tensorToArray({ name: 'w', dataType: DataType.FLOAT, dims: [1], dataLocation: 1 })).toThrow(/tensor 'w': external data is not supported/);
  });
});

describe('float16 conversion', () => {
  const f16 = (x: number) => float32ToFloat16(x);

  test('normal values, signed zeros, the largest finite half', () => {
    expect(f16(1)).toBe(0x3c00);
    expect(f16(-2)).toBe(0xc000);
    expect(f16(0.5)).toBe(0x3800);
    expect(f16(0)).toBe(0x0000);
    expect(f16(-0)).toBe(0x8000);
    expect(f16(65504)).toBe(0x7bff);
    expect(f16(2 ** -14)).toBe(0x0400); // smallest normal
  });

  test('subnormals, and underflow to signed zero', () => {
    expect(f16(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(f16(2 ** -15)).toBe(0x0200);
    expect(f16(2 ** -14 - 2 ** -24)).toBe(0x03ff); // largest subnormal
    expect(f16(-(2 ** -24))).toBe(0x8001);
    expect(f16(2 ** -26)).toBe(0x0000); // a quarter of the smallest subnormal
    expect(f16(2 ** -25)).toBe(0x0000); // half of it: a tie, to even (zero)
    expect(f16(1.5 * 2 ** -25)).toBe(0x0001); // above the tie
    expect(f16(3 * 2 ** -25)).toBe(0x0002); // 1.5 ulp: a tie, to even (2)
    expect(f16(-1e-10)).toBe(0x8000);
  });

  test('overflow, infinities and NaN', () => {
    expect(f16(65520)).toBe(0x7c00); // halfway past the largest half: rounds to infinity
    expect(f16(65519)).toBe(0x7bff);
    expect(f16(1e10)).toBe(0x7c00);
    expect(f16(Infinity)).toBe(0x7c00);
    expect(f16(-Infinity)).toBe(0xfc00);
    const nan = f16(NaN);
    expect(nan & 0x7c00).toBe(0x7c00);
    expect(nan & 0x03ff).not.toBe(0);
  });

  test('rounding to nearest, ties to even', () => {
    const ulp = 2 ** -10; // spacing of halves in [1, 2)
    expect(f16(1 + ulp / 2)).toBe(0x3c00); // tie, even is 1.0
    expect(f16(1 + 1.5 * ulp)).toBe(0x3c02); // tie, even is 1 + 2 ulp
    expect(f16(1 + ulp / 2 + 2 ** -20)).toBe(0x3c01); // just above the tie
    expect(f16(2 - ulp / 4)).toBe(0x4000); // rounds up into the next binade
  });

  test('every half value converts to float and back to the same bits', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const exp = (bits >> 10) & 0x1f;
      const mant = bits & 0x3ff;
      const value = float16ToFloat32(bits);
      if (exp === 0x1f && mant !== 0) expect(Number.isNaN(value)).toBe(true);
      else if (f16(value) !== bits) throw new Error(`bits 0x${bits.toString(16)} -> ${value} -> 0x${f16(value).toString(16)}`);
    }
  });

  test('float16ToFloat32 of the edge encodings', () => {
    expect(float16ToFloat32(0x0001)).toBe(2 ** -24);
    expect(float16ToFloat32(0x03ff)).toBe(2 ** -14 - 2 ** -24);
    expect(Object.is(float16ToFloat32(0x8000), -0)).toBe(true);
    expect(float16ToFloat32(0x7bff)).toBe(65504);
    expect(float16ToFloat32(0xfc00)).toBe(-Infinity);
  });

  test('onnxruntime casts float16 the same way (Cast float -> float16)', async () => {
    const xs = new Float32Array([1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 2 ** -24, 2 ** -25, 1.5 * 2 ** -25, 65519, 65520, -0, 1e-8, 0.1, 3.14159]);
    const model = {
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: 'cast16',
        input: [{ name: 'x', type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: xs.length }] } } } }],
        node: [{ opType: 'Cast', input: ['x'], output: ['y'], attribute: [{ name: 'to', type: 2, i: DataType.FLOAT16 }] }],
        output: [{ name: 'y', type: { tensorType: { elemType: DataType.FLOAT16 } } }],
      },
    };
    const out = await run(model, { x: { data: xs, dims: [xs.length] } });
    const data = out.y.data as unknown as ArrayLike<number>;
    const bits = data instanceof Uint16Array ? Array.from(data) : Array.from(new Uint16Array((data as unknown as Float32Array).buffer));
    expect(bits).toEqual(Array.from(xs, f16));
  });
});
