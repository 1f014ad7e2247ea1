// The ai.onnx operators: the opset version each first appeared in, and the kinds of the attributes of the
// operators whose attributes we check. Used by the builder to type attributes and by validateModel.

export type AttrKind = 'int' | 'float' | 'string' | 'tensor' | 'graph' | 'ints' | 'floats' | 'strings' | 'tensors' | 'graphs'
  | 'sparse_tensor' | 'sparse_tensors' | 'type_proto' | 'type_protos';

const SINCE: Record<number, string> = {
  1: 'Abs Add And ArgMax ArgMin AveragePool BatchNormalization Cast Ceil Clip Concat Constant Conv ConvTranspose DepthToSpace Div Dropout Elu Equal Exp Flatten Floor GRU Gather Gemm GlobalAveragePool GlobalLpPool GlobalMaxPool Greater HardSigmoid Hardmax Identity If InstanceNormalization LRN LSTM LeakyRelu Less Log LogSoftmax Loop LpNormalization LpPool MatMul Max MaxPool MaxRoiPool Mean Min Mul Neg Not Or PRelu Pad Pow RNN RandomNormal RandomNormalLike RandomUniform RandomUniformLike Reciprocal ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum ReduceSumSquare Relu Reshape Selu Shape Sigmoid Size Slice Softmax Softplus Softsign SpaceToDepth Split Sqrt Squeeze Sub Sum Tanh Tile TopK Transpose Unsqueeze Xor',
  7: 'Acos Asin Atan Cos Multinomial Sin Tan Upsample',
  8: 'Expand Scan',
  9: 'Acosh Asinh Atanh Compress ConstantOfShape Cosh Erf EyeLike IsNaN MaxUnpool MeanVarianceNormalization NonZero OneHot Scatter Shrink Sign Sinh TfIdfVectorizer Where',
  10: 'ConvInteger DequantizeLinear IsInf MatMulInteger Mod NonMaxSuppression QLinearConv QLinearMatMul QuantizeLinear Resize ReverseSequence RoiAlign StringNormalizer ThresholdedRelu',
  11: 'BitShift ConcatFromSequence CumSum Det DynamicQuantizeLinear GatherElements GatherND Range Round ScatterElements ScatterND SequenceAt SequenceConstruct SequenceEmpty SequenceErase SequenceInsert SequenceLength SplitToSequence Unique',
  12: 'Celu Einsum GreaterOrEqual LessOrEqual NegativeLogLikelihoodLoss SoftmaxCrossEntropyLoss',
  14: 'HardSwish Trilu',
  15: 'Bernoulli CastLike Optional OptionalGetElement OptionalHasElement',
  16: 'GridSample',
  17: 'BlackmanWindow DFT HammingWindow HannWindow LayerNormalization MelWeightMatrix STFT SequenceMap',
  18: 'BitwiseAnd BitwiseNot BitwiseOr BitwiseXor CenterCropPad Col2Im GroupNormalization Mish',
  19: 'DeformConv',
  20: 'AffineGrid Gelu ImageDecoder RegexFullMatch StringConcat StringSplit',
  23: 'Attention RMSNormalization RotaryEmbedding',
  24: 'Swish TensorScatter',
};

/** The opset version in which each ai.onnx operator first appeared. */
export const OP_SINCE: ReadonlyMap<string, number> = new Map(
  Object.entries(SINCE).flatMap(([v, names]) => names.split(' ').map((n) => [n, Number(v)] as [string, number])),
);

/** Operators deprecated (no longer valid) from an opset version on. */
export const OP_DEPRECATED: ReadonlyMap<string, number> = new Map([['Upsample', 10], ['Scatter', 11]]);

/** Whether `opType` is an ai.onnx operator at opset `version`, and if not, why. */
export function opAvailability(opType: string, version: number): { known: true } | { known: false; reason: string } {
  const since = OP_SINCE.get(opType);
  if (since === undefined) return { known: false, reason: `is not an ai.onnx operator` };
  if (since > version) return { known: false, reason: `first appears in opset ${since}, the model imports opset ${version}` };
  const gone = OP_DEPRECATED.get(opType);
  if (gone !== undefined && version >= gone) return { known: false, reason: `is deprecated since opset ${gone}, the model imports opset ${version}` };
  return { known: true };
}

const POOL = { auto_pad: 'string', kernel_shape: 'ints', pads: 'ints', strides: 'ints', ceil_mode: 'int', dilations: 'ints' } as const;
const REDUCE = { axes: 'ints', keepdims: 'int', noop_with_empty_axes: 'int' } as const;

/**
 * Attribute kinds of the operators whose attributes are checked (the ones ortrain builds or differentiates
 * and their neighbours), in their newest form. ATTRIBUTE_SPANS says which exist only in some opsets.
 */
export const OP_ATTRIBUTES: Readonly<Record<string, Readonly<Record<string, AttrKind>>>> = {
  ArgMax: { axis: 'int', keepdims: 'int', select_last_index: 'int' },
  ArgMin: { axis: 'int', keepdims: 'int', select_last_index: 'int' },
  AveragePool: { ...POOL, count_include_pad: 'int' },
  BatchNormalization: { epsilon: 'float', momentum: 'float', training_mode: 'int' },
  Bernoulli: { dtype: 'int', seed: 'float' },
  Cast: { to: 'int', saturate: 'int', round_mode: 'string' },
  CastLike: { saturate: 'int', round_mode: 'string' },
  Celu: { alpha: 'float' },
  Compress: { axis: 'int' },
  Concat: { axis: 'int' },
  ConcatFromSequence: { axis: 'int', new_axis: 'int' },
  Constant: { value: 'tensor', value_float: 'float', value_floats: 'floats', value_int: 'int', value_ints: 'ints', value_string: 'string', value_strings: 'strings', sparse_value: 'sparse_tensor' },
  ConstantOfShape: { value: 'tensor' },
  Conv: { auto_pad: 'string', dilations: 'ints', group: 'int', kernel_shape: 'ints', pads: 'ints', strides: 'ints' },
  ConvTranspose: { auto_pad: 'string', dilations: 'ints', group: 'int', kernel_shape: 'ints', output_padding: 'ints', output_shape: 'ints', pads: 'ints', strides: 'ints' },
  CumSum: { exclusive: 'int', reverse: 'int' },
  DepthToSpace: { blocksize: 'int', mode: 'string' },
  Dropout: { seed: 'int', ratio: 'float' },
  Einsum: { equation: 'string' },
  Elu: { alpha: 'float' },
  EyeLike: { dtype: 'int', k: 'int' },
  Flatten: { axis: 'int' },
  Gather: { axis: 'int' },
  GatherElements: { axis: 'int' },
  GatherND: { batch_dims: 'int' },
  Gelu: { approximate: 'string' },
  Gemm: { alpha: 'float', beta: 'float', transA: 'int', transB: 'int' },
  GlobalLpPool: { p: 'int' },
  GroupNormalization: { epsilon: 'float', num_groups: 'int', stash_type: 'int' },
  HardSigmoid: { alpha: 'float', beta: 'float' },
  Hardmax: { axis: 'int' },
  If: { then_branch: 'graph', else_branch: 'graph' },
  InstanceNormalization: { epsilon: 'float' },
  IsInf: { detect_negative: 'int', detect_positive: 'int' },
  LRN: { alpha: 'float', beta: 'float', bias: 'float', size: 'int' },
  LayerNormalization: { axis: 'int', epsilon: 'float', stash_type: 'int' },
  LeakyRelu: { alpha: 'float' },
  LogSoftmax: { axis: 'int' },
  Loop: { body: 'graph' },
  LpNormalization: { axis: 'int', p: 'int' },
  LpPool: { auto_pad: 'string', kernel_shape: 'ints', pads: 'ints', strides: 'ints', ceil_mode: 'int', dilations: 'ints', p: 'int' },
  MaxPool: { ...POOL, storage_order: 'int' },
  MeanVarianceNormalization: { axes: 'ints' },
  Mod: { fmod: 'int' },
  NonMaxSuppression: { center_point_box: 'int' },
  NegativeLogLikelihoodLoss: { ignore_index: 'int', reduction: 'string' },
  OneHot: { axis: 'int' },
  Optional: { type: 'type_proto' },
  Pad: { mode: 'string' },
  RandomNormal: { dtype: 'int', mean: 'float', scale: 'float', seed: 'float', shape: 'ints' },
  RandomNormalLike: { dtype: 'int', mean: 'float', scale: 'float', seed: 'float' },
  RandomUniform: { dtype: 'int', high: 'float', low: 'float', seed: 'float', shape: 'ints' },
  RandomUniformLike: { dtype: 'int', high: 'float', low: 'float', seed: 'float' },
  ReduceL1: REDUCE,
  ReduceL2: REDUCE,
  ReduceLogSum: REDUCE,
  ReduceLogSumExp: REDUCE,
  ReduceMax: REDUCE,
  ReduceMean: REDUCE,
  ReduceMin: REDUCE,
  ReduceProd: REDUCE,
  ReduceSum: REDUCE,
  ReduceSumSquare: REDUCE,
  Reshape: { allowzero: 'int' },
  Resize: { antialias: 'int', axes: 'ints', coordinate_transformation_mode: 'string', cubic_coeff_a: 'float', exclude_outside: 'int', extrapolation_value: 'float', keep_aspect_ratio_policy: 'string', mode: 'string', nearest_mode: 'string' },
  ReverseSequence: { batch_axis: 'int', time_axis: 'int' },
  Scan: { body: 'graph', num_scan_inputs: 'int', scan_input_axes: 'ints', scan_input_directions: 'ints', scan_output_axes: 'ints', scan_output_directions: 'ints' },
  ScatterElements: { axis: 'int', reduction: 'string' },
  ScatterND: { reduction: 'string' },
  Selu: { alpha: 'float', gamma: 'float' },
  SequenceEmpty: { dtype: 'int' },
  Shape: { start: 'int', end: 'int' },
  Shrink: { bias: 'float', lambd: 'float' },
  Softmax: { axis: 'int' },
  SoftmaxCrossEntropyLoss: { ignore_index: 'int', reduction: 'string' },
  SpaceToDepth: { blocksize: 'int' },
  Split: { axis: 'int', split: 'ints', num_outputs: 'int' },
  SplitToSequence: { axis: 'int', keepdims: 'int' },
  Squeeze: { axes: 'ints' },
  Swish: { alpha: 'float' },
  ThresholdedRelu: { alpha: 'float' },
  TopK: { axis: 'int', largest: 'int', sorted: 'int', k: 'int' },
  Transpose: { perm: 'ints' },
  Trilu: { upper: 'int' },
  Unique: { axis: 'int', sorted: 'int' },
  Unsqueeze: { axes: 'ints' },
  Upsample: { mode: 'string', scales: 'floats' },
};

/**
 * Operators with no attributes in their newest form: any attribute on them is an error, except those that
 * ATTRIBUTE_SPANS lists for older opsets (Clip's min/max before 11, broadcast/axis before 7, ...).
 */
export const OPS_WITHOUT_ATTRIBUTES: ReadonlySet<string> = new Set(
  ('Abs Acos Acosh Add And Asin Asinh Atan Atanh Ceil Cos Cosh Div Equal Erf Exp Expand Floor Greater GreaterOrEqual ' +
    'HardSwish Identity IsNaN Less LessOrEqual Log MatMul Max Mean Min Mish Mul Neg NonZero Not Or PRelu Pow Range ' +
    'Reciprocal Relu Sigmoid Sign Sin Sinh Size Softplus Softsign Sqrt Sub Sum Tan Tanh Tile Where Xor Clip ' +
    'Det GlobalAveragePool GlobalMaxPool BitwiseAnd BitwiseNot BitwiseOr BitwiseXor MatMulInteger QLinearMatMul ' +
    'DynamicQuantizeLinear SequenceAt SequenceConstruct SequenceErase SequenceInsert SequenceLength OptionalHasElement ' +
    'OptionalGetElement').split(' '),
);

/** An attribute that exists only from opset `from` up to (not including) `until`, with that kind there. */
export interface AttributeSpan { op: string; attr: string; kind: AttrKind; from: number; until?: number }

const span = (ops: string, attr: string, kind: AttrKind, from: number, until?: number): AttributeSpan[] =>
  ops.split(' ').map((op) => ({ op, attr, kind, from, until }));

const REDUCERS = 'ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSumSquare';

/** The opset nuances of attributes: where an attribute came, went, or changed kind. */
export const ATTRIBUTE_SPANS: readonly AttributeSpan[] = [
  // Version 1 of many operators carried a legacy 'consumed_inputs'; 6 dropped it.
  ...span('Abs Add BatchNormalization Ceil Clip Div Dropout Elu Exp Floor HardSigmoid LeakyRelu Log Max Mean Min Mul Neg PRelu Reciprocal Relu Reshape Selu Sigmoid Sqrt Sub Sum Tanh', 'consumed_inputs', 'ints', 1, 6),
  // Explicit broadcasting, before ONNX adopted numpy-style broadcasting in 7.
  ...span('Add Sub Mul Div Pow And Or Xor Equal Greater Less', 'broadcast', 'int', 1, 7),
  ...span('Add Sub Mul Div Pow And Or Xor Equal Greater Less', 'axis', 'int', 1, 7),
  ...span('Gemm', 'broadcast', 'int', 1, 7),
  ...span('BatchNormalization Dropout', 'is_test', 'int', 1, 7),
  ...span('BatchNormalization', 'spatial', 'int', 1, 9),
  ...span('BatchNormalization', 'training_mode', 'int', 14),
  ...span('Dropout', 'ratio', 'float', 1, 12),
  ...span('Dropout', 'seed', 'int', 12),
  ...span('Cast', 'to', 'string', 1, 6),
  ...span('Cast', 'to', 'int', 6),
  ...span('Cast CastLike', 'saturate', 'int', 19),
  ...span('Clip', 'min', 'float', 1, 11),
  ...span('Clip', 'max', 'float', 1, 11),
  ...span('Squeeze Unsqueeze', 'axes', 'ints', 1, 13),
  ...span(REDUCERS, 'axes', 'ints', 1, 18),
  ...span(REDUCERS, 'noop_with_empty_axes', 'int', 18),
  ...span('ReduceSum', 'axes', 'ints', 1, 13),
  ...span('ReduceSum', 'noop_with_empty_axes', 'int', 13),
  ...span('Split', 'split', 'ints', 1, 13),
  ...span('Split', 'num_outputs', 'int', 18),
  ...span('Slice', 'starts', 'ints', 1, 10),
  ...span('Slice', 'ends', 'ints', 1, 10),
  ...span('Slice', 'axes', 'ints', 1, 10),
  ...span('Pad', 'paddings', 'ints', 1, 2),
  ...span('Pad', 'pads', 'ints', 2, 11),
  ...span('Pad', 'value', 'float', 1, 11),
  ...span('TopK', 'k', 'int', 1, 10),
  ...span('TopK', 'largest', 'int', 11),
  ...span('TopK', 'sorted', 'int', 11),
  ...span('Reshape', 'shape', 'ints', 1, 5),
  ...span('Reshape', 'allowzero', 'int', 14),
  ...span('Upsample', 'scales', 'floats', 7, 9),
  ...span('MaxPool', 'storage_order', 'int', 8),
  ...span('MaxPool', 'dilations', 'ints', 10),
  ...span('MaxPool AveragePool', 'ceil_mode', 'int', 10),
  ...span('AveragePool', 'count_include_pad', 'int', 7),
  ...span('AveragePool', 'dilations', 'ints', 19),
  ...span('LpPool', 'ceil_mode', 'int', 18),
  ...span('LpPool', 'dilations', 'ints', 18),
  ...span('LpPool GlobalLpPool', 'p', 'float', 1, 2),
  ...span('LpPool GlobalLpPool', 'p', 'int', 2),
  ...span('ArgMax ArgMin', 'select_last_index', 'int', 12),
  ...span('Constant', 'sparse_value', 'sparse_tensor', 11),
  ...span('Constant', 'value_float', 'float', 12),
  ...span('Constant', 'value_floats', 'floats', 12),
  ...span('Constant', 'value_int', 'int', 12),
  ...span('Constant', 'value_ints', 'ints', 12),
  ...span('Constant', 'value_string', 'string', 12),
  ...span('Constant', 'value_strings', 'strings', 12),
  ...span('Shape', 'start', 'int', 15),
  ...span('Shape', 'end', 'int', 15),
  ...span('GatherND', 'batch_dims', 'int', 12),
  ...span('ScatterElements ScatterND', 'reduction', 'string', 16),
  ...span('DepthToSpace', 'mode', 'string', 11),
  ...span('Resize', 'coordinate_transformation_mode', 'string', 11),
  ...span('Resize', 'cubic_coeff_a', 'float', 11),
  ...span('Resize', 'exclude_outside', 'int', 11),
  ...span('Resize', 'extrapolation_value', 'float', 11),
  ...span('Resize', 'nearest_mode', 'string', 11),
  ...span('Resize', 'antialias', 'int', 18),
  ...span('Resize', 'axes', 'ints', 18),
  ...span('Resize', 'keep_aspect_ratio_policy', 'string', 18),
  ...span('GroupNormalization', 'stash_type', 'int', 21),
  // Scan-8 scanned along axis 0 with one 'directions' list; Scan-9 made axes and directions per input/output.
  ...span('Scan', 'directions', 'ints', 8, 9),
  ...span('Scan', 'scan_input_axes', 'ints', 9),
  ...span('Scan', 'scan_input_directions', 'ints', 9),
  ...span('Scan', 'scan_output_axes', 'ints', 9),
  ...span('Scan', 'scan_output_directions', 'ints', 9),
];

/** Attributes an operator cannot do without (from the opset given, when not from its first). */
export const REQUIRED_ATTRIBUTES: readonly { op: string; attr: string; from?: number }[] = [
  { op: 'Cast', attr: 'to' }, { op: 'Concat', attr: 'axis', from: 4 }, { op: 'If', attr: 'then_branch' },
  { op: 'If', attr: 'else_branch' }, { op: 'Loop', attr: 'body' }, { op: 'Scan', attr: 'body' },
  { op: 'Scan', attr: 'num_scan_inputs' }, { op: 'Einsum', attr: 'equation' }, { op: 'DepthToSpace', attr: 'blocksize' },
  { op: 'SpaceToDepth', attr: 'blocksize' }, { op: 'LRN', attr: 'size' }, { op: 'GroupNormalization', attr: 'num_groups' },
  { op: 'RandomNormal', attr: 'shape' }, { op: 'RandomUniform', attr: 'shape' },
];

/**
 * The attributes of `opType` at opset `version` and their kinds, or undefined when the operator's
 * attributes are not tabulated here (then any attribute is accepted).
 */
export function opAttributes(opType: string, version: number): Readonly<Record<string, AttrKind>> | undefined {
  const newest = OP_ATTRIBUTES[opType] ?? (OPS_WITHOUT_ATTRIBUTES.has(opType) ? {} : undefined);
  if (!newest) return undefined;
  const out: Record<string, AttrKind> = { ...newest };
  const spans = ATTRIBUTE_SPANS.filter((s) => s.op === opType);
  for (const s of spans) delete out[s.attr];
  for (const s of spans) if (version >= s.from && (s.until === undefined || version < s.until)) out[s.attr] = s.kind;
  return out;
}

/** The kind of one attribute of `opType` at opset `version`, when tabulated. */
export function attributeKindAt(opType: string, attr: string, version: number): AttrKind | undefined {
  return opAttributes(opType, version)?.[attr] ?? OP_ATTRIBUTES[opType]?.[attr];
}
