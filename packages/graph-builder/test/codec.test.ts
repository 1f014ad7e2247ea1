import { DataType, ModelDecodeError, ModelProto, TensorProto, decodeModel, encodeModel, tensorToArray } from '@ortrain/graph-builder';
import { FIXTURE_MODELS, bytesOf, fixtureBytes, random, run } from './helpers';

/** Random feeds for a model's inputs: symbolic dims become 2 (batch) and 5 (others); int64 inputs are token ids. */
function randomFeeds(model: ModelProto, seed: number) {
  const rnd = random(seed);
  const feeds: Parameters<typeof run>[1] = {};
  const initializers = new Set((model.graph!.initializer ?? []).map((t) => t.name));
  for (const input of model.graph!.input ?? []) {
    if (initializers.has(input.name)) continue;
    const t = input.type!.tensorType!;
    const dims = (t.shape!.dim ?? []).map((d, i) => d.dimValue ?? (i === 0 ? 2 : 5));
    const count = dims.reduce((a, b) => a * b, 1);
    if (t.elemType === DataType.INT64) {
      feeds[input.name!] = { data: BigInt64Array.from({ length: count }, () => BigInt(Math.floor(rnd() * 100))), dims };
    } else if (t.elemType === DataType.FLOAT) {
      feeds[input.name!] = { data: Float32Array.from({ length: count }, () => rnd() * 2 - 1), dims };
    } else {
      throw new Error(`fixture input '${input.name}' has element type ${t.elemType}; extend randomFeeds`);
    }
  }
  return feeds;
}

describe('decodeModel / encodeModel on the fixture models', () => {
  test.each(FIXTURE_MODELS)('%s: re-encoded model gives bitwise identical outputs in onnxruntime-node', async (name) => {
    const original = fixtureBytes(name);
    const model = decodeModel(original, name);
    expect(model.graph!.node!.length).toBeGreaterThan(0);
    const reencoded = encodeModel(model);
    // Every field is kept, so the bytes come back the same.
    expect(Buffer.from(reencoded).equals(Buffer.from(original))).toBe(true);
    const feeds = randomFeeds(model, 1234);
    const [a, b] = [await run(original, feeds), await run(reencoded, feeds)];
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const key of Object.keys(a)) {
      expect(b[key].dims).toEqual(a[key].dims);
      expect(Buffer.from(bytesOf(b[key])).equals(Buffer.from(bytesOf(a[key])))).toBe(true);
      expect(Array.from(a[key].data as Float32Array).every(Number.isFinite)).toBe(true);
    }
  });

  test('a model edited after decoding runs with the edit (encode writes the objects, not cached bytes)', async () => {
    const model = decodeModel(fixtureBytes('mlp'), 'mlp');
    const feeds = randomFeeds(model, 7);
    const before = await run(model, feeds);
    const bias = model.graph!.initializer!.find((t) => t.name === 'net.2.bias')!;
    const values = tensorToArray(bias) as Float32Array;
    values[3] += 1;
    bias.rawData = new Uint8Array(values.buffer);
    const after = await run(encodeModel(model), feeds);
    const [x, y] = [before.logits.data as Float32Array, after.logits.data as Float32Array];
    for (let i = 0; i < x.length; i++) expect(y[i] - x[i]).toBeCloseTo(i % 10 === 3 ? 1 : 0, 5);
  });
});

describe('ModelDecodeError', () => {
  const bytes = fixtureBytes('mlp');

  test('a truncated model names the source and the byte count', () => {
    const cut = bytes.slice(0, Math.floor(bytes.length / 2));
    expect(() => decodeModel(cut, 'mlp.onnx')).toThrow(ModelDecodeError);
    expect(() => decodeModel(cut, 'mlp.onnx')).toThrow(new RegExp(`^mlp\\.onnx: not a valid ONNX model .*; ${cut.length} bytes read`));
  });

  test('bytes that are not a model (text) are rejected, naming the source', () => {
    const text = new TextEncoder().encode('this is not an onnx model, just some text in a file\n');
    expect(() => decodeModel(text, 'notes.txt')).toThrow(ModelDecodeError);
    expect(() => decodeModel(text, 'notes.txt')).toThrow(/^notes\.txt: not a valid ONNX model/);
  });

  test('a corrupted length inside the graph is rejected', () => {
    const corrupt = bytes.slice();
    // The graph field (7, length-delimited) starts with tag 0x3a; make its length run past the end.
    const at = corrupt.indexOf(0x3a);
    corrupt.set([0xff, 0xff, 0xff, 0xff, 0x0f], at + 1);
    expect(() => decodeModel(corrupt, 'corrupt.onnx')).toThrow(/^corrupt\.onnx: not a valid ONNX model/);
  });

  test('an empty buffer has no graph', () => {
    expect(() => decodeModel(new Uint8Array(0), 'empty.onnx')).toThrow(/^empty\.onnx: not a valid ONNX model \(no graph\); 0 bytes read/);
  });

  test('the default source is "model"', () => {
    expect(() => decodeModel(new Uint8Array([0x3a, 0x05, 0x01]))).toThrow(/^model: /);
  });
});

describe('models with external data', () => {
  const external: TensorProto = {
    name: 'encoder.weight', dataType: DataType.FLOAT, dims: [4], dataLocation: 1,
    externalData: [{ key: 'location', value: 'model.onnx.data' }, { key: 'offset', value: '0' }, { key: 'length', value: '16' }],
  };

  test('an external initializer is refused at decode, naming the source, the tensor and the file', () => {
    const bytes = encodeModel({ graph: { name: 'g', initializer: [external] } });
    expect(() => decodeModel(bytes, 'big.onnx')).toThrow(ModelDecodeError);
    expect(() => decodeModel(bytes, 'big.onnx')).toThrow(
      "big.onnx: tensor 'encoder.weight' keeps its data outside the model (external data in 'model.onnx.data'); save the model with its weights inside",
    );
  });

  test('so is an external tensor inside a subgraph attribute', () => {
    const branch = { name: 'then', node: [{ opType: 'Constant', output: ['c'], attribute: [{ name: 'value', type: 4, t: { ...external, name: 'deep' } }] }] };
    const bytes = encodeModel({ graph: { name: 'g', node: [{ opType: 'If', input: ['x'], output: ['y'], attribute: [{ name: 'then_branch', type: 5, g: branch }] }] } });
    expect(() => decodeModel(bytes, 'nested.onnx')).toThrow(/^nested\.onnx: tensor 'deep' keeps its data outside the model/);
  });
});

describe('int64 values beyond 2^53', () => {
  const INT64_MAX = 9223372036854775807n;
  const INT64_MIN = -9223372036854775808n;
  const model: ModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: [{ opType: 'Identity', input: ['big'], output: ['y'], name: 'id' }],
      initializer: [{ name: 'big', dataType: DataType.INT64, dims: [4], int64Data: [INT64_MAX.toString(), INT64_MIN.toString(), '9007199254740993', 5] }],
      output: [{ name: 'y', type: { tensorType: { elemType: DataType.INT64, shape: { dim: [{ dimValue: 4 }] } } } }],
    },
  };

  test('int64_data survives decode exactly, and tensorToArray reads it exactly', () => {
    const decoded = decodeModel(encodeModel(model));
    const t = decoded.graph!.initializer![0];
    expect(t.int64Data).toEqual(['9223372036854775807', '-9223372036854775808', '9007199254740993', 5]);
    expect(Array.from(tensorToArray(t) as BigInt64Array)).toEqual([INT64_MAX, INT64_MIN, 9007199254740993n, 5n]);
  });

  test('onnxruntime reads the same values from the re-encoded model', async () => {
    const out = await run(encodeModel(decodeModel(encodeModel(model))), {});
    expect(Array.from(out.y.data as BigInt64Array)).toEqual([INT64_MAX, INT64_MIN, 9007199254740993n, 5n]);
  });

  test('attribute ints at the int64 limits round trip', () => {
    const withAttr: ModelProto = {
      graph: { node: [{ opType: 'X', attribute: [{ name: 'a', type: 7, ints: [Number(INT64_MAX), Number(INT64_MIN), 3] }] }] },
    };
    const back = decodeModel(encodeModel(decodeModel(encodeModel(withAttr))));
    const ints = back.graph!.node![0].attribute![0].ints!;
    expect(ints.map((x) => BigInt(x))).toEqual([2n ** 63n, INT64_MIN, 3n]);
    // Numbers round INT64_MAX up to 2^63; the encoder clamps it back, so the wire keeps INT64_MAX.
    const again = encodeModel(back);
    expect(Buffer.from(again).equals(Buffer.from(encodeModel(withAttr)))).toBe(true);
  });
});
