// Checks against the reference ONNX library (python3-onnx), through files that
// tools/oracles/graph-builder/make_schema_models.py wrote: no Python runs here.
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { AttributeProto, AttributeType, DataType, decodeModel, encodeModel, findModelProblems, tensorToArray } from '@ortrain/graph-builder';

const DIR = path.join(__dirname, 'fixtures');

describe('every field of onnx.proto, as the onnx library writes it', () => {
  const bytes = new Uint8Array(fs.readFileSync(path.join(DIR, 'all_fields.onnx')));
  const expected = JSON.parse(fs.readFileSync(path.join(DIR, 'all_fields.json'), 'utf8'));
  const model = decodeModel(bytes, 'all_fields.onnx');

  test('model fields, opset imports and metadata', () => {
    expect(bytes.length).toBe(expected.bytes);
    expect(model.irVersion).toBe(expected.irVersion);
    expect([model.producerName, model.producerVersion, model.domain, model.modelVersion, model.docString])
      .toEqual([expected.producerName, expected.producerVersion, expected.domain, expected.modelVersion, expected.docString]);
    expect(model.opsetImport!.map((o) => ({ domain: o.domain ?? '', version: o.version }))).toEqual(expected.opsetImport);
    expect(Object.fromEntries(model.metadataProps!.map((p) => [p.key, p.value]))).toEqual(expected.metadataProps);
    expect(model.trainingInfo![0].updateBinding).toEqual([{ key: 'w', value: 'w_new' }]);
    expect(model.functions![0]).toMatchObject({ name: 'LocalFn', domain: 'local', input: ['p'], output: ['q'], attribute: ['alpha'] });
  });

  test('every AttributeProto kind lands in its field', () => {
    const node = model.graph!.node![0];
    const attrs: Record<string, AttributeProto> = Object.fromEntries(node.attribute!.map((a) => [a.name!, a]));
    expect(Object.fromEntries(Object.entries(attrs).map(([k, a]) => [k, a.type]))).toEqual(expected.attributes);
    expect(attrs.f.f).toBe(0.25);
    expect(attrs.i.i).toBe(expected.attr_i);
    expect(new TextDecoder().decode(attrs.s.s)).toBe('text');
    expect(Array.from(tensorToArray(attrs.t.t!) as Float32Array)).toEqual([1, 2]);
    expect(attrs.g.g!.node![0].name).toBe('inner_id');
    expect(attrs.sparse.sparseTensor!.dims).toEqual([6]);
    expect(Array.from(tensorToArray(attrs.sparse.sparseTensor!.values!) as Float32Array)).toEqual([1.5, -2]);
    expect(attrs.tp.tp!.sequenceType!.elemType!.tensorType!.shape!.dim).toEqual([{ dimParam: 'n' }, { dimValue: 3 }]);
    expect(attrs.floats.floats).toEqual([1, -0.5]);
    expect(attrs.ints.ints!.map((v) => BigInt(v))).toEqual([3n, -(2n ** 63n), 2n ** 63n]); // INT64_MAX rounds as a number
    expect(attrs.strings.strings!.map((b) => new TextDecoder().decode(b))).toEqual(['u', 'v']);
    expect(attrs.tensors.tensors!.map((t) => t.name)).toEqual(['t_int64', 't_double']);
    expect(attrs.graphs.graphs!.length).toBe(2);
    expect(attrs.sparses.sparseTensors!.map((s) => s.values!.name)).toEqual(['sp1', 'sp2']);
    expect(attrs.tps.typeProtos![0].mapType).toMatchObject({ keyType: DataType.INT64 });
    expect(attrs.tps.typeProtos![1].optionalType!.elemType!.tensorType!.elemType).toBe(DataType.INT32);
    expect(attrs.tp.type).toBe(AttributeType.TYPE_PROTO);
  });

  test('typed tensor fields, 64-bit integers exactly, segments and sparse initializers', () => {
    const init = Object.fromEntries(model.graph!.initializer!.map((t) => [t.name, t]));
    expect(init.t_int64.int64Data!.map(String)).toEqual(expected.int64_data);
    expect(Array.from(tensorToArray(init.t_int64) as BigInt64Array).map(String)).toEqual(expected.int64_data);
    expect(Array.from(tensorToArray(init.t_u64) as BigUint64Array).map(String)).toEqual(expected.uint64_data);
    expect(Array.from(tensorToArray(init.t_double) as Float64Array)).toEqual(expected.double_data);
    expect(Array.from(tensorToArray(init.t_f16) as Uint16Array)).toEqual([0x3c00, 0xc000]);
    expect(tensorToArray(init.t_str)).toEqual(['ab', 'c']);
    expect(init.with_segment.segment).toEqual({ begin: expected.segment[0], end: expected.segment[1] });
    expect(model.graph!.sparseInitializer![0].indices!.dims).toEqual(expected.sparse_indices_dims);
    expect(model.graph!.valueInfo!.map((v) => v.name)).toEqual(['seq', 'map', 'opt']);
  });

  test('encodeModel writes the same bytes as the onnx library', () => {
    expect(Buffer.from(encodeModel(model)).equals(Buffer.from(bytes))).toBe(true);
  });
});

describe('validateModel agrees with onnx.checker and onnxruntime', () => {
  const oracle = JSON.parse(fs.readFileSync(path.join(DIR, 'checker.json'), 'utf8')) as {
    onnx_version: string; cases: Record<string, { model: string; checker_error: string | null }>;
  };

  /** onnxruntime's own verdict: the error it gives when it loads the model, or null. */
  async function ortError(bytes: Uint8Array): Promise<string | null> {
    try {
      const session = await ort.InferenceSession.create(bytes);
      await session.release();
      return null;
    } catch (e) {
      return String((e as Error).message ?? e);
    }
  }

  // Where the ONNX spec is stricter than both tools, validateModel follows the spec.
  const STRICTER: Record<string, string> = {
    // "Exactly one of the provided attributes must be specified": onnx.checker enforces it only in shape
    // inference (full_check), and onnxruntime loads the model anyway.
    constant_two_values: 'Constant',
  };

  test.each(Object.keys(oracle.cases))('%s', async (name) => {
    const { model, checker_error } = oracle.cases[name];
    const bytes = new Uint8Array(Buffer.from(model, 'base64'));
    const ours = findModelProblems(decodeModel(bytes, name));
    const theirs = await ortError(bytes);
    // onnx 1.12's checker stops at opset 17 and does not check graph outputs; onnxruntime fills those gaps.
    const invalid = checker_error !== null || theirs !== null || name in STRICTER;
    expect({ name, reported: ours.length > 0 }).toEqual({ name, reported: invalid });
    if (name in STRICTER) expect([checker_error, theirs]).toEqual([null, null]); // still a disagreement, still for this reason
  });
});
