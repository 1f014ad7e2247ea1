import { FdCase, runCases } from './finite-difference';

const H = 3;
const lstm = (name: string, attrs: FdCase['attrs'], dirs: number, extra: { states?: boolean; use?: number[] } = {}): FdCase => {
  const T = 4, B = 2, I = 3;
  const x = [T, B, I];
  const state = [dirs, B, H];
  return {
    name, op: 'LSTM', outputs: 3, float32: true, use: extra.use, attrs: { hidden_size: H, ...attrs },
    inputs: [
      { param: x }, { param: [dirs, 4 * H, I] }, { param: [dirs, 4 * H, H] }, { param: [dirs, 8 * H] },
      ...(extra.states ? [{ none: true } as const, { param: state }, { param: state }] : []),
    ],
  };
};

const cases: FdCase[] = [
  lstm('LSTM forward, all outputs', {}, 1),
  lstm('LSTM forward, initial states', {}, 1, { states: true }),
  lstm('LSTM forward, Y only', {}, 1, { use: [0] }),
  lstm('LSTM forward, Y_h only', {}, 1, { use: [1] }),
  lstm('LSTM reverse, initial states', { direction: 'reverse' }, 1, { states: true }),
  lstm('LSTM bidirectional, initial states', { direction: 'bidirectional' }, 2, { states: true }),
  {
    name: 'LSTM without bias, dynamic batch and length', float32: true,
    inputs: [{ data: [5, 2, 3], dims: ['T', 'B', 3] }, { param: [3] }, { param: [1, 4 * H, 3] }, { param: [1, 4 * H, H] }],
    build: (g, [x, s, w, r]) => g.node('LSTM', [g.mul(x!, s!), w!, r!], { hidden_size: H }, { outputs: 3 }),
  },
];

const gru = (name: string, attrs: FdCase['attrs'], dirs: number, extra: { states?: boolean; use?: number[] } = {}): FdCase => ({
  name, op: 'GRU', outputs: 2, float32: true, use: extra.use, attrs: { hidden_size: H, ...attrs },
  inputs: [
    { param: [4, 2, 3] }, { param: [dirs, 3 * H, 3] }, { param: [dirs, 3 * H, H] }, { param: [dirs, 6 * H] },
    ...(extra.states ? [{ none: true } as const, { param: [dirs, 2, H] }] : []),
  ],
});

cases.push(
  gru('GRU forward', {}, 1),
  gru('GRU linear_before_reset (PyTorch\'s export), initial state', { linear_before_reset: 1 }, 1, { states: true }),
  gru('GRU reverse, Y_h only', { direction: 'reverse' }, 1, { use: [1], states: true }),
  gru('GRU bidirectional, linear_before_reset', { direction: 'bidirectional', linear_before_reset: 1 }, 2, { states: true }),
  {
    name: 'GRU without bias, dynamic batch and length', float32: true,
    inputs: [{ data: [5, 2, 3], dims: ['T', 'B', 3] }, { param: [3] }, { param: [1, 3 * H, 3] }, { param: [1, 3 * H, H] }],
    build: (g, [x, s, w, r]) => g.node('GRU', [g.mul(x!, s!), w!, r!], { hidden_size: H }, { outputs: 2 }),
  },
);

cases.push(
  { name: 'RNN forward', op: 'RNN', outputs: 2, float32: true, attrs: { hidden_size: H }, inputs: [{ param: [4, 2, 3] }, { param: [1, H, 3] }, { param: [1, H, H] }, { param: [1, 2 * H] }] },
  {
    name: 'RNN bidirectional, initial state, Y_h only', op: 'RNN', outputs: 2, use: [1], float32: true, attrs: { hidden_size: H, direction: 'bidirectional' },
    inputs: [{ param: [4, 2, 3] }, { param: [2, H, 3] }, { param: [2, H, H] }, { param: [2, 2 * H] }, { none: true }, { param: [2, 2, H] }],
  },
);

runCases('finite differences: LSTM, GRU and RNN', cases);
