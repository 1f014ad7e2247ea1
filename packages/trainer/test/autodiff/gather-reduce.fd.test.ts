import { FdCase, distinct, runCases } from './finite-difference';

const i64 = (values: number[], shape = [values.length]) => ({ constant: values, dtype: 'int64' as const, shape });

const cases: FdCase[] = [
  { name: 'Gather embedding rows, repeated indices', op: 'Gather', inputs: [{ param: [5, 3] }, i64([1, 2, 1, 0, 2, 2], [2, 3])] },
  { name: 'Gather negative indices', op: 'Gather', inputs: [{ param: [5, 3] }, i64([-1, 0, -1], [3])] },
  { name: 'Gather axis 1', op: 'Gather', attrs: { axis: 1 }, inputs: [{ param: [2, 4, 3] }, i64([3, 0, 3], [3])] },
  { name: 'Gather axis 1 with 2-D indices', op: 'Gather', attrs: { axis: 1 }, inputs: [{ param: [2, 4, 3] }, i64([3, 0, 1, 1], [2, 2])] },
  { name: 'Gather axis -1 scalar index', op: 'Gather', attrs: { axis: -1 }, inputs: [{ param: [2, 4, 3] }, i64([2], [])] },
  { name: 'Gather axis 0 scalar index', op: 'Gather', inputs: [{ param: [4, 3] }, i64([-2], [])] },
  {
    name: 'Gather with fed indices (embedding lookup)',
    inputs: [{ param: [6, 4] }, { intData: [5, 0, 5, 2, 2, 5], shape: [2, 3], dims: ['B', 'T'] }],
    build: (g, [w, ids]) => [g.op('Gather', [w!, ids!], { axis: 0 })],
  },
  { name: 'GatherElements axis 1 repeated', op: 'GatherElements', attrs: { axis: 1 }, inputs: [{ param: [2, 4] }, i64([0, 0, 3, 1, 1, 2], [2, 3])] },
  { name: 'GatherElements axis 0 negative', op: 'GatherElements', inputs: [{ param: [3, 2] }, i64([-1, 0, 2, -3], [2, 2])] },
  { name: 'GatherElements axis 1, negative indices fed at run time', op: 'GatherElements', attrs: { axis: 1 }, inputs: [{ param: [2, 4] }, { intData: [-1, 0, -4, 3, -1, 2], shape: [2, 3] }] },
  { name: 'ReduceSum axes input keepdims', op: 'ReduceSum', inputs: [{ param: [2, 3, 4] }, i64([1])] },
  { name: 'ReduceSum axes input no keepdims', op: 'ReduceSum', attrs: { keepdims: 0 }, inputs: [{ param: [2, 3, 4] }, i64([0, -1])] },
  { name: 'ReduceSum all (no axes)', op: 'ReduceSum', attrs: { keepdims: 0 }, inputs: [{ param: [2, 3] }] },
  { name: 'ReduceSum noop_with_empty_axes', op: 'ReduceSum', attrs: { noop_with_empty_axes: 1 }, inputs: [{ param: [2, 3] }] },
  { name: 'ReduceSum opset 11 attribute', op: 'ReduceSum', opset: 11, attrs: { axes: [1], keepdims: 0 }, inputs: [{ param: [2, 3] }] },
  { name: 'ReduceMean attribute axes (opset 17)', op: 'ReduceMean', attrs: { axes: [1, 2] }, inputs: [{ param: [2, 3, 4] }] },
  { name: 'ReduceMean axes input (opset 18)', op: 'ReduceMean', opset: 18, attrs: { keepdims: 0 }, inputs: [{ param: [2, 3, 4] }, i64([-1])] },
  { name: 'ReduceMean all', op: 'ReduceMean', attrs: { keepdims: 0 }, inputs: [{ param: [2, 3] }] },
  {
    name: 'ReduceMean over a dynamic axis',
    inputs: [{ data: [2, 3, 4], dims: ['B', 'T', 4] }, { param: [4] }],
    build: (g, [x, p]) => [g.reduceMean(g.mul(x!, p!), [1], false)],
  },
  { name: 'ReduceMax', op: 'ReduceMax', attrs: { axes: [1], keepdims: 0 }, inputs: [{ param: [3, 4], gen: distinct(0.05) }] },
  { name: 'ReduceMin keepdims', op: 'ReduceMin', attrs: { axes: [0] }, inputs: [{ param: [3, 4], gen: distinct(0.05) }] },
  { name: 'ReduceSumSquare', op: 'ReduceSumSquare', attrs: { axes: [1] }, inputs: [{ param: [3, 4] }] },
  { name: 'ReduceL2', op: 'ReduceL2', attrs: { axes: [1], keepdims: 0 }, inputs: [{ param: [3, 4] }] },
  { name: 'ReduceL1', op: 'ReduceL1', attrs: { axes: [0] }, inputs: [{ param: [3, 4], gen: distinct(0.05) }] },
  { name: 'ReduceLogSumExp', op: 'ReduceLogSumExp', attrs: { axes: [1], keepdims: 0 }, inputs: [{ param: [3, 4] }] },
];

runCases('finite differences: gathers and reductions', cases);
