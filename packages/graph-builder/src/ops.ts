// The ai.onnx operators: the opset version each first appeared in, and the kinds of the attributes of the
// operators whose attributes we check. Used by the builder to type attributes and by validateModel.

export type AttrKind = 'int' | 'float' | 'string' | 'tensor' | 'graph' | 'ints' | 'floats' | 'strings' | 'tensors' | 'graphs' | 'type_proto';

const SINCE: Record<number, string> = {
  1: 'Abs Add And ArgMax ArgMin AveragePool BatchNormalization Cast Ceil Clip Concat Constant Conv ConvTranspose DepthToSpace Div Dropout Elu Equal Exp Flatten Floor GRU Gather Gemm GlobalAveragePool GlobalLpPool GlobalMaxPool Greater HardSigmoid Hardmax Identity If InstanceNormalization LRN LSTM LeakyRelu Less Log LogSoftmax Loop LpNormalization LpPool MatMul Max MaxPool MaxRoiPool Mean Min Mul Neg Not Or PRelu Pad Pow RNN RandomNormal RandomNormalLike RandomUniform RandomUniformLike Reciprocal ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceMax ReduceMean ReduceMin ReduceProd ReduceSum ReduceSumSquare Relu Reshape Selu Shape Sigmoid Size Slice Softmax Softplus Softsign SpaceToDepth Split Sqrt Squeeze Sub Sum Tanh Tile TopK Transpose Unsqueeze Xor',
  7: 'Acos Asin Atan Cos Multinomial Sin Tan Upsample',
  8: 'Expand Scan',
  9: 'Acosh Asinh Atanh Compress ConstantOfShape Cosh Erf EyeLike IsNaN MaxUnpool MeanVarianceNormalization NonZero OneHot Shrink Sign Sinh TfIdfVectorizer Where',
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

const POOL = { auto_pad: 'string', kernel_shape: 'ints', pads: 'ints', strides: 'ints', ceil_mode: 'int', dilations: 'ints' } as const;

/** Attribute kinds of the operators whose attributes are checked (the ones ortrain builds or differentiates). */
export const OP_ATTRIBUTES: Readonly<Record<string, Readonly<Record<string, AttrKind>>>> = {
  ArgMax: { axis: 'int', keepdims: 'int', select_last_index: 'int' },
  ArgMin: { axis: 'int', keepdims: 'int', select_last_index: 'int' },
  AveragePool: { ...POOL, count_include_pad: 'int' },
  BatchNormalization: { epsilon: 'float', momentum: 'float', training_mode: 'int' },
  Cast: { to: 'int', saturate: 'int', round_mode: 'string' },
  Celu: { alpha: 'float' },
  Concat: { axis: 'int' },
  Constant: { value: 'tensor', value_float: 'float', value_floats: 'floats', value_int: 'int', value_ints: 'ints', value_string: 'string', value_strings: 'strings', sparse_value: 'tensor' },
  ConstantOfShape: { value: 'tensor' },
  Conv: { auto_pad: 'string', dilations: 'ints', group: 'int', kernel_shape: 'ints', pads: 'ints', strides: 'ints' },
  ConvTranspose: { auto_pad: 'string', dilations: 'ints', group: 'int', kernel_shape: 'ints', output_padding: 'ints', output_shape: 'ints', pads: 'ints', strides: 'ints' },
  CumSum: { exclusive: 'int', reverse: 'int' },
  Dropout: { seed: 'int', ratio: 'float' },
  Elu: { alpha: 'float' },
  EyeLike: { dtype: 'int', k: 'int' },
  Flatten: { axis: 'int' },
  Gather: { axis: 'int' },
  GatherElements: { axis: 'int' },
  GatherND: { batch_dims: 'int' },
  Gelu: { approximate: 'string' },
  Gemm: { alpha: 'float', beta: 'float', transA: 'int', transB: 'int' },
  HardSigmoid: { alpha: 'float', beta: 'float' },
  Hardmax: { axis: 'int' },
  If: { then_branch: 'graph', else_branch: 'graph' },
  InstanceNormalization: { epsilon: 'float' },
  LayerNormalization: { axis: 'int', epsilon: 'float', stash_type: 'int' },
  LeakyRelu: { alpha: 'float' },
  LogSoftmax: { axis: 'int' },
  Loop: { body: 'graph' },
  MaxPool: { ...POOL, storage_order: 'int' },
  OneHot: { axis: 'int' },
  Pad: { mode: 'string' },
  RandomNormal: { dtype: 'int', mean: 'float', scale: 'float', seed: 'float', shape: 'ints' },
  RandomNormalLike: { dtype: 'int', mean: 'float', scale: 'float', seed: 'float' },
  RandomUniform: { dtype: 'int', high: 'float', low: 'float', seed: 'float', shape: 'ints' },
  RandomUniformLike: { dtype: 'int', high: 'float', low: 'float', seed: 'float' },
  ReduceL1: { axes: 'ints', keepdims: 'int', noop_with_empty_axes: 'int' },
  ReduceL2: { axes: 'ints', keepdims: 'int', noop_with_empty_axes: 'int' },
  ReduceLogSum: { axes: 'ints', keepdims: 'int', noop_with_empty_axes: 'int' },
  ReduceLogSumExp: { axes: 'ints', keepdims: 'int', noop_with_empty_axes: 'int' },
  ReduceMax: { axes: 'ints', keepdims: 'int', noop_with_empty_axes: 'int' },
  ReduceMean: { axes: 'ints', keepdims: 'int', noop_with_empty_axes: 'int' },
  ReduceMin: { axes: 'ints', keepdims: 'int', noop_with_empty_axes: 'int' },
  ReduceProd: { axes: 'ints', keepdims: 'int', noop_with_empty_axes: 'int' },
  ReduceSum: { axes: 'ints', keepdims: 'int', noop_with_empty_axes: 'int' },
  ReduceSumSquare: { axes: 'ints', keepdims: 'int', noop_with_empty_axes: 'int' },
  Reshape: { allowzero: 'int' },
  Resize: { antialias: 'int', axes: 'ints', coordinate_transformation_mode: 'string', cubic_coeff_a: 'float', exclude_outside: 'int', extrapolation_value: 'float', keep_aspect_ratio_policy: 'string', mode: 'string', nearest_mode: 'string' },
  Scan: { body: 'graph', num_scan_inputs: 'int', scan_input_axes: 'ints', scan_input_directions: 'ints', scan_output_axes: 'ints', scan_output_directions: 'ints' },
  ScatterElements: { axis: 'int', reduction: 'string' },
  ScatterND: { reduction: 'string' },
  Selu: { alpha: 'float', gamma: 'float' },
  Shape: { start: 'int', end: 'int' },
  Softmax: { axis: 'int' },
  Split: { axis: 'int', split: 'ints', num_outputs: 'int' },
  Squeeze: { axes: 'ints' },
  ThresholdedRelu: { alpha: 'float' },
  TopK: { axis: 'int', largest: 'int', sorted: 'int', k: 'int' },
  Transpose: { perm: 'ints' },
  Trilu: { upper: 'int' },
  Unsqueeze: { axes: 'ints' },
};

/** Operators with no attributes at all: any attribute on them is an error. */
export const OPS_WITHOUT_ATTRIBUTES: ReadonlySet<string> = new Set(
  ('Abs Acos Acosh Add And Asin Asinh Atan Atanh Ceil Cos Cosh Div Equal Erf Exp Expand Floor Greater GreaterOrEqual ' +
    'HardSwish Identity IsNaN Less LessOrEqual Log MatMul Max Mean Min Mish Mul Neg NonZero Not Or PRelu Pow Range ' +
    'Reciprocal Relu Sigmoid Sign Sin Sinh Size Softplus Softsign Sqrt Sub Sum Tan Tanh Tile Where Xor Clip').split(' '),
);
