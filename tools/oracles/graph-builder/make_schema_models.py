"""Oracle models for @ortrain/graph-builder, written by the reference ONNX library (Debian's python3-onnx).

1. all_fields.onnx: a model that fills every message and field kind ortrain's protobufjs schema declares
   (every AttributeProto kind, sparse tensors, sequence/map/optional types, functions, training info,
   metadata), with all_fields.json saying what each holds, so the TypeScript decoder can be checked field by
   field against the official onnx.proto, not only against itself.
2. checker.json: small models, each with onnx.checker's verdict (check_model, full_check off), that the
   TypeScript validateModel must agree with: valid ones clean, invalid ones reported.

Run: /usr/bin/python3 tools/oracles/graph-builder/make_schema_models.py
Writes packages/graph-builder/test/fixtures/{all_fields.onnx, all_fields.json, checker.json}.
"""
import base64
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'packages', 'graph-builder', 'test', 'fixtures')
os.makedirs(OUT, exist_ok=True)

F = TensorProto.FLOAT


def sparse(name):
    values = numpy_helper.from_array(np.array([1.5, -2.0], dtype=np.float32), name)
    indices = numpy_helper.from_array(np.array([1, 4], dtype=np.int64), name + '_idx')
    return helper.make_sparse_tensor(values, indices, [6])


def all_fields():
    branch = helper.make_graph(
        [helper.make_node('Identity', ['a'], ['b'], name='inner_id')], 'branch',
        [helper.make_tensor_value_info('a', F, [2])], [helper.make_tensor_value_info('b', F, [2])])
    t_float = numpy_helper.from_array(np.array([[1.0, 2.0]], dtype=np.float32), 't_float')
    t_int64 = helper.make_tensor('t_int64', TensorProto.INT64, [3], [-(2 ** 63), 2 ** 63 - 1, 7])  # int64_data
    t_double = helper.make_tensor('t_double', TensorProto.DOUBLE, [2], [0.1, -1e300])  # double_data
    t_f16 = helper.make_tensor('t_f16', TensorProto.FLOAT16, [2], [1.0, -2.0])  # bits in int32_data
    t_str = helper.make_tensor('t_str', TensorProto.STRING, [2], [b'ab', b'c'])
    t_u64 = helper.make_tensor('t_u64', TensorProto.UINT64, [1], [2 ** 64 - 1])  # uint64_data
    seq_type = helper.make_sequence_type_proto(helper.make_tensor_type_proto(F, ['n', 3]))
    map_type = onnx.TypeProto()  # onnx 1.12's helper has no make_map_type_proto
    map_type.map_type.key_type = TensorProto.INT64
    map_type.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(F, []))
    opt_type = helper.make_optional_type_proto(helper.make_tensor_type_proto(TensorProto.INT32, [1]))
    node = helper.make_node(
        'Everything', ['x'], ['y'], name='every_kind', domain='test.domain', doc_string='a node with every kind',
        f=0.25, i=-(2 ** 62), s=b'text', t=t_float, g=branch, sparse=sparse('sp'), tp=seq_type,
        floats=[1.0, -0.5], ints=[3, -(2 ** 63), 2 ** 63 - 1], strings=[b'u', b'v'], tensors=[t_int64, t_double],
        graphs=[branch, branch], sparses=[sparse('sp1'), sparse('sp2')], tps=[map_type, opt_type])
    graph = helper.make_graph(
        [node, helper.make_node('LocalFn', ['y'], ['z'], name='call', domain='local')], 'all_fields',
        [helper.make_tensor_value_info('x', F, ['batch', 2])], [helper.make_tensor_value_info('z', F, ['batch', 2])],
        initializer=[t_int64, t_double, t_f16, t_str, t_u64], doc_string='graph doc',
        value_info=[helper.make_value_info('seq', seq_type), helper.make_value_info('map', map_type), helper.make_value_info('opt', opt_type)],
        sparse_initializer=[sparse('sparse_init')])
    fn = helper.make_function('local', 'LocalFn', ['p'], ['q'], [helper.make_node('Neg', ['p'], ['q'])],
                              [helper.make_opsetid('', 17)], attributes=['alpha'])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17), helper.make_opsetid('test.domain', 2), helper.make_opsetid('local', 1)],
                              producer_name='oracle', producer_version='1.0', domain='org.ortrain', model_version=42,
                              doc_string='model doc', functions=[fn])
    model.ir_version = 8
    helper.set_model_props(model, {'author': 'ortrain', 'purpose': 'schema oracle'})
    ti = model.training_info.add()
    ti.algorithm.CopyFrom(helper.make_graph([], 'algo', [], []))
    ti.update_binding.add(key='w', value='w_new')
    t = model.graph.initializer.add()
    t.CopyFrom(numpy_helper.from_array(np.array([1, 2], dtype=np.int32), 'with_segment'))
    t.segment.begin = 0
    t.segment.end = 2
    data = model.SerializeToString()
    with open(os.path.join(OUT, 'all_fields.onnx'), 'wb') as f:
        f.write(data)
    expect = {
        'irVersion': model.ir_version, 'producerName': 'oracle', 'producerVersion': '1.0', 'domain': 'org.ortrain',
        'modelVersion': 42, 'docString': 'model doc',
        'opsetImport': [{'domain': o.domain, 'version': o.version} for o in model.opset_import],
        'metadataProps': {p.key: p.value for p in model.metadata_props},
        'attributes': {a.name: a.type for a in node.attribute},
        'attr_i': node.attribute[[a.name for a in node.attribute].index('i')].i,
        'attr_ints': [str(v) for v in node.attribute[[a.name for a in node.attribute].index('ints')].ints],
        'int64_data': [str(v) for v in t_int64.int64_data],
        'uint64_data': [str(v) for v in t_u64.uint64_data],
        'double_data': list(t_double.double_data),
        'sparse_indices_dims': list(sparse('sp').indices.dims),
        'segment': [0, 2],
        'bytes': len(data),
    }
    with open(os.path.join(OUT, 'all_fields.json'), 'w') as f:
        json.dump(expect, f, indent=1)


def checker_cases():
    x = helper.make_tensor_value_info('x', F, [2])
    y = helper.make_tensor_value_info('y', F, [2])
    cases = {}

    def add(name, nodes, opset=17, inputs=(x,), outputs=(y,), inits=()):
        graph = helper.make_graph(nodes, 'g', list(inputs), list(outputs), initializer=list(inits))
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)])
        model.ir_version = 8
        try:
            onnx.checker.check_model(model)
            verdict = None
        except Exception as e:  # the checker's own message, to show where it disagrees
            verdict = str(e).splitlines()[0][:300]
        cases[name] = {'model': base64.b64encode(model.SerializeToString()).decode(), 'checker_error': verdict}

    add('valid', [helper.make_node('Relu', ['x'], ['y'])])
    add('use_before_def', [helper.make_node('Relu', ['t'], ['y']), helper.make_node('Neg', ['x'], ['t'])])
    add('undefined_input', [helper.make_node('Add', ['x', 'ghost'], ['y'])])
    add('written_twice', [helper.make_node('Neg', ['x'], ['y']), helper.make_node('Relu', ['x'], ['y'])])
    add('overwrites_input', [helper.make_node('Neg', ['x'], ['x']), helper.make_node('Relu', ['x'], ['y'])])
    add('unknown_op', [helper.make_node('Frobnicate', ['x'], ['y'])])
    add('op_too_new', [helper.make_node('Gelu', ['x'], ['y'])])
    add('wrong_attr_kind', [helper.make_node('Softmax', ['x'], ['y'], axis=1.5)])
    add('unknown_attr', [helper.make_node('Relu', ['x'], ['y'], alpha=0.5)])
    add('clip_attrs_opset_10', [helper.make_node('Clip', ['x'], ['y'], min=0.0, max=1.0)], opset=10)
    add('clip_attrs_opset_11', [helper.make_node('Clip', ['x'], ['y'], min=0.0, max=1.0)], opset=11)
    add('squeeze_axes_attr_opset_11', [helper.make_node('Unsqueeze', ['x'], ['u'], axes=[0]), helper.make_node('Squeeze', ['u'], ['y'], axes=[0])], opset=11)
    add('squeeze_axes_attr_opset_13', [helper.make_node('Unsqueeze', ['x'], ['u'], axes=[0]), helper.make_node('Squeeze', ['u'], ['y'], axes=[0])], opset=13)
    add('reduce_mean_axes_attr_opset_17', [helper.make_node('ReduceMean', ['x'], ['y'], axes=[0], keepdims=1)], opset=17)
    add('reduce_mean_axes_attr_opset_18', [helper.make_node('ReduceMean', ['x'], ['y'], axes=[0], keepdims=1)], opset=18)
    add('reduce_sum_axes_attr_opset_12', [helper.make_node('ReduceSum', ['x'], ['y'], axes=[0], keepdims=1)], opset=12)
    add('reduce_sum_axes_attr_opset_13', [helper.make_node('ReduceSum', ['x'], ['y'], axes=[0], keepdims=1)], opset=13)
    add('split_attr_opset_11', [helper.make_node('Split', ['x'], ['y', 'w'], split=[1, 1])], opset=11)
    add('split_attr_opset_13', [helper.make_node('Split', ['x'], ['y', 'w'], split=[1, 1])], opset=13)
    add('cast_without_to', [helper.make_node('Cast', ['x'], ['y'])])
    add('output_undefined', [helper.make_node('Neg', ['x'], ['t'])])
    then = helper.make_graph([helper.make_node('Add', ['x', 'late'], ['t_out'])], 'then', [], [helper.make_tensor_value_info('t_out', F, [2])])
    els = helper.make_graph([helper.make_node('Neg', ['x'], ['e_out'])], 'else', [], [helper.make_tensor_value_info('e_out', F, [2])])
    c = helper.make_tensor_value_info('c', TensorProto.BOOL, [])
    add('subgraph_reads_later_value', [helper.make_node('If', ['c'], ['y'], then_branch=then, else_branch=els), helper.make_node('Neg', ['x'], ['late'])], inputs=(x, c))
    then_ok = helper.make_graph([helper.make_node('Add', ['x', 'early'], ['t_out'])], 'then', [], [helper.make_tensor_value_info('t_out', F, [2])])
    add('subgraph_reads_earlier_value', [helper.make_node('Neg', ['x'], ['early']), helper.make_node('If', ['c'], ['y'], then_branch=then_ok, else_branch=els)], inputs=(x, c))
    mismatch = helper.make_node('Concat', ['x', 'x'], ['y'])
    mismatch.attribute.add(name='axis', type=onnx.AttributeProto.INT, f=1.0)  # type INT, value in f
    add('attr_type_field_mismatch', [mismatch])
    twice = helper.make_node('Concat', ['x', 'x'], ['y'], axis=0)
    twice.attribute.add(name='axis', type=onnx.AttributeProto.INT, i=0)
    add('duplicate_attribute', [twice])
    add('constant_two_values', [helper.make_node('Constant', [], ['y'], value_float=1.0, value_int=1)])
    add('domain_without_import', [helper.make_node('FusedMatMul', ['x', 'x'], ['y'], domain='com.microsoft')])
    add('upsample_opset_10', [helper.make_node('Upsample', ['x', 'x'], ['y'], mode='nearest')], opset=10)
    add('upsample_opset_9', [helper.make_node('Upsample', ['x', 'x'], ['y'], mode='nearest')], opset=9)
    lim = numpy_helper.from_array(np.array(1.0, dtype=np.float32), 'lim')
    add('omitted_optional_input_and_initializer_input', [helper.make_node('Clip', ['x', '', 'lim'], ['y'])],
        inputs=(x, helper.make_tensor_value_info('lim', F, [])), inits=(lim,))
    add('reduce_sum_noop_opset_12', [helper.make_node('ReduceSum', ['x'], ['y'], noop_with_empty_axes=1)], opset=12)
    add('dropout_ratio_attr_opset_12', [helper.make_node('Dropout', ['x'], ['y'], ratio=0.5)], opset=12)
    add('dropout_ratio_attr_opset_11', [helper.make_node('Dropout', ['x'], ['y'], ratio=0.5)], opset=11)
    add('topk_k_attr_opset_10', [helper.make_node('TopK', ['x'], ['y', 'i'], k=1)], opset=10)
    add('softmax_axis_int', [helper.make_node('Softmax', ['x'], ['y'], axis=0)])
    shadow = helper.make_graph([helper.make_node('Neg', ['x'], ['x2']), helper.make_node('Neg', ['x2'], ['early'])], 'then', [],
                               [helper.make_tensor_value_info('early', F, [2])])
    add('subgraph_writes_outer_name', [helper.make_node('Neg', ['x'], ['early']), helper.make_node('If', ['c'], ['y'], then_branch=shadow, else_branch=els)], inputs=(x, c))
    with open(os.path.join(OUT, 'checker.json'), 'w') as f:
        json.dump({'onnx_version': onnx.__version__, 'cases': cases}, f, indent=1)


all_fields()
checker_cases()
