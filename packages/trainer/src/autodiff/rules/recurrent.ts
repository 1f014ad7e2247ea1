// LSTM, GRU and RNN: backpropagation through time as standard ops. The gates of every step are recomputed at once
// (X W^T + H_prev R^T + b, with H_prev the forward output shifted by one step), the cell states by a forward
// Scan, and the recurrence of the gradients by a reverse Scan whose body is a handful of element-wise ops
// and one MatMul; the weight gradients are then single Gemms over all steps.
import { tensorFromArray } from '@ortrain/graph-builder';
import type { GraphBuilder, Value } from '@ortrain/graph-builder';
import type { GradContext, GradRule } from '../context';

interface Direction {
  x: Value; //        [T, B, I], in this direction's time order
  w: Value; //        [4H, I]
  r: Value; //        [4H, H]
  b?: Value; //       [8H]
  h0?: Value; //      [B, H]
  c0?: Value; //      [B, H]
  y: Value; //        [T, B, H] hidden states, this direction's time order
  dy?: Value; //      [T, B, H]
  dyH?: Value; //     [B, H]
  dyC?: Value; //     [B, H]
}

interface DirectionGrads { dx: Value; dw: Value; dr: Value; db: Value; dh0: Value; dc0: Value }

/**
 * What LSTM, GRU and RNN share: the attribute checks, each direction's slice of the inputs (time reversed for
 * a backward direction) and the stacking of the directions' gradients. `one` differentiates one direction;
 * `activations` is the only activation pattern supported, repeated per direction.
 */
function recurrentGrad(c: GradContext, activations: string[], one: (H: number, s: Direction) => DirectionGrads): (Value | undefined)[] {
  const { g } = c;
  const a = c.attrs;
  const direction = a.string('direction', 'forward');
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const H = a.int('hidden_size', 0);
  if (a.has('clip')) c.fail('the clip attribute is not supported');
  const acts = (a.has('activations') ? (c.node.attribute!.find((x) => x.name === 'activations')!.strings ?? []).map((s) => new TextDecoder().decode(s)) : []);
  if (acts.some((s, i) => s !== activations[i % activations.length])) c.fail(`activations ${acts.join(', ')} are not supported (only ${activations.join(', ')})`);
  if (c.has(4)) c.fail('sequence_lens is not supported: pad the batch to one length');
  // onnxruntime runs layout 0 only (X [T, B, I], Y [T, dirs, B, H]).
  if (a.int('layout', 0) !== 0) c.fail('layout 1 is not supported');
  if (!c.node.output?.[0]) c.fail('the Y output is needed for the gradient');
  if (!H) c.fail('hidden_size is needed');
  const pick = (v: Value | undefined, d: number, axis: number) => (v ? (dirs === 1 ? g.squeeze(v, [axis]) : g.squeeze(g.slice(v, [d], [d + 1], [axis]), [axis])) : undefined);
  const reverse = (v: Value | undefined) => (v ? g.slice(v, [-1], [-(2 ** 62)], [0], [-1]) : undefined);
  const grads: DirectionGrads[] = [];
  for (let d = 0; d < dirs; d++) {
    const backwards = direction === 'reverse' || d === 1;
    const time = (v: Value | undefined) => (backwards ? reverse(v) : v);
    grads.push(one(H, {
      x: time(c.x(0))!, w: pick(c.x(1), d, 0)!, r: pick(c.x(2), d, 0)!, b: c.has(3) ? pick(c.x(3), d, 0) : undefined,
      h0: c.has(5) ? pick(c.x(5), d, 0) : undefined, c0: c.has(6) ? pick(c.x(6), d, 0) : undefined,
      y: time(pick(c.y(0), d, 1))!, dy: time(pick(c.dy(0), d, 1)), dyH: pick(c.dy(1), d, 0), dyC: pick(c.dy(2), d, 0),
    }));
    if (backwards) grads[d].dx = reverse(grads[d].dx)!;
  }
  const stack = (vs: Value[]) => (vs.length === 1 ? g.unsqueeze(vs[0], [0]) : g.concat(vs.map((v) => g.unsqueeze(v, [0])), 0));
  return [
    grads.length === 1 ? grads[0].dx : g.add(grads[0].dx, grads[1].dx),
    stack(grads.map((q) => q.dw)),
    stack(grads.map((q) => q.dr)),
    c.has(3) ? stack(grads.map((q) => q.db)) : undefined,
    undefined,
    c.has(5) ? stack(grads.map((q) => q.dh0)) : undefined,
    c.has(6) ? stack(grads.map((q) => q.dc0)) : undefined,
  ];
}

function lstmGrad(c: GradContext): (Value | undefined)[] {
  if (c.attrs.int('input_forget', 0) !== 0) c.fail('input_forget is not supported');
  if (c.has(7)) c.fail('peephole weights (P) are not supported');
  return recurrentGrad(c, ['Sigmoid', 'Tanh', 'Tanh'], (H, s) => direction1(c, H, s));
}

/** One direction of a forward-running LSTM, everything in its own time order. */
function direction1(c: GradContext, H: number, s: Direction): DirectionGrads {
  const { g } = c;
  const dtype = s.x.dtype ?? 'float32';
  const zerosBH = () => g.op('ConstantOfShape', [g.concat([c.shapeSlice(s.x, 1, 2), g.ints([H])], 0)], { value: tensorFromArray('value', dtype, [1], [0]) }, { dtypes: [dtype] });
  const h0 = s.h0 ?? zerosBH();
  const c0 = s.c0 ?? zerosBH();
  // H_prev for every step: h0, then the outputs of all steps but the last.
  const yBefore = g.slice(s.y, [0], [-1], [0]);
  const hPrev = g.concat([g.unsqueeze(h0, [0]), yBefore], 0);
  let gates = g.add(g.matmul(s.x, g.transpose(s.w, [1, 0])), g.matmul(hPrev, g.transpose(s.r, [1, 0])));
  if (s.b) {
    const [wb, rb] = g.node('Split', [s.b, g.ints([4 * H, 4 * H])], { axis: 0 }, { outputs: 2 });
    gates = g.add(gates, g.add(wb, rb));
  }
  const [ri, ro, rf, rc] = g.node('Split', [gates, g.ints([H, H, H, H])], { axis: -1 }, { outputs: 4 });
  const i = g.sigmoid(ri), o = g.sigmoid(ro), f = g.sigmoid(rf), cand = g.tanh(rc);
  const ig = g.mul(i, cand);

  // Cell states c_1..c_T by a forward Scan: c = f * c + i * g.
  const fwd = g.subgraph(g.uniqueName('lstm_cells'));
  const cIn = fwd.input(g.uniqueName('c_in'), dtype, ['B', H]);
  const fT = fwd.input(g.uniqueName('f_t'), dtype, ['B', H]);
  const igT = fwd.input(g.uniqueName('ig_t'), dtype, ['B', H]);
  const cNew = fwd.add(fwd.mul(fT, cIn), igT);
  const cScan = fwd.identity(cNew);
  fwd.output(cNew, g.uniqueName('c_out'));
  fwd.output(cScan, g.uniqueName('c_scan'));
  const [, cells] = g.node('Scan', [c0, f, ig], { body: fwd.toGraph(), num_scan_inputs: 2 }, { outputs: 2, dtypes: [dtype, dtype] });
  const cPrev = g.concat([g.unsqueeze(c0, [0]), g.slice(cells, [0], [-1], [0])], 0);
  const tanhC = g.tanh(cells);

  // The gradient recurrence, from the last step to the first.
  const bwd = g.subgraph(g.uniqueName('lstm_grads'));
  const dh = bwd.input(g.uniqueName('dh_in'), dtype, ['B', H]);
  const dcIn = bwd.input(g.uniqueName('dc_in'), dtype, ['B', H]);
  const names = ['dy_t', 'o_t', 'tanh_c_t', 'i_t', 'f_t', 'g_t', 'c_prev_t'];
  const [dyT, oT, tcT, iT, fT2, gT, cpT] = names.map((n) => bwd.input(g.uniqueName(n), dtype, ['B', H]));
  const dhTot = bwd.add(dh, dyT);
  const one = bwd.constant(1, dtype);
  const dsig = (b: GraphBuilder, v: Value) => b.mul(v, b.sub(one, v));
  const dO = bwd.mul(bwd.mul(dhTot, tcT), dsig(bwd, oT));
  const dC = bwd.add(dcIn, bwd.mul(bwd.mul(dhTot, oT), bwd.sub(one, bwd.mul(tcT, tcT))));
  const dI = bwd.mul(bwd.mul(dC, gT), dsig(bwd, iT));
  const dF = bwd.mul(bwd.mul(dC, cpT), dsig(bwd, fT2));
  const dG = bwd.mul(bwd.mul(dC, iT), bwd.sub(one, bwd.mul(gT, gT)));
  const dGates = bwd.concat([dI, dO, dF, dG], -1);
  const dhOut = bwd.matmul(dGates, s.r);
  const dcOut = bwd.mul(dC, fT2);
  bwd.output(dhOut, g.uniqueName('dh_out'));
  bwd.output(dcOut, g.uniqueName('dc_out'));
  bwd.output(dGates, g.uniqueName('dgates_t'));
  const dyAll = s.dy ?? g.op('ConstantOfShape', [g.shape(s.y)], { value: tensorFromArray('value', dtype, [1], [0]) }, { dtypes: [dtype] });
  const [dh0, dc0, dgates] = g.node('Scan', [s.dyH ?? zerosBH(), s.dyC ?? zerosBH(), dyAll, o, tanhC, i, f, cand, cPrev], {
    body: bwd.toGraph(), num_scan_inputs: 7, scan_input_directions: [1, 1, 1, 1, 1, 1, 1], scan_output_directions: [1],
  }, { outputs: 3, dtypes: [dtype, dtype, dtype] });

  // Weight gradients over all steps at once.
  const flat = (v: Value, cols: number) => g.reshape(v, [-1, cols]);
  const I = s.w.shape?.[1];
  const dgFlat = flat(dgates, 4 * H);
  const dw = g.op('Gemm', [dgFlat, typeof I === 'number' ? flat(s.x, I) : g.reshape(s.x, g.concat([g.ints([-1]), c.shapeSlice(s.x, 2)], 0))], { transA: 1 });
  const dr = g.op('Gemm', [dgFlat, flat(hPrev, H)], { transA: 1 });
  const dbHalf = g.reduceSum(dgates, [0, 1], false);
  const db = g.concat([dbHalf, dbHalf], 0);
  const dx = g.matmul(dgates, s.w);
  return { dx, dw, dr, db, dh0, dc0 };
}

interface GruDirection { x: Value; w: Value; r: Value; b?: Value; h0?: Value; y: Value; dy?: Value; dyH?: Value }

function gruGrad(c: GradContext): (Value | undefined)[] {
  const linearBeforeReset = c.attrs.int('linear_before_reset', 0) === 1;
  return recurrentGrad(c, ['Sigmoid', 'Tanh'], (H, s) => gruDirection(c, H, linearBeforeReset, s));
}

/**
 * One direction of a GRU (gates z, r, h). All gates come from H_prev (the outputs shifted by one step) at
 * once; a reverse Scan carries dH back through the recurrent weights.
 */
function gruDirection(c: GradContext, H: number, lbr: boolean, s: GruDirection): DirectionGrads {
  const { g } = c;
  const dtype = s.x.dtype ?? 'float32';
  const zerosBH = () => g.op('ConstantOfShape', [g.concat([c.shapeSlice(s.x, 1, 2), g.ints([H])], 0)], { value: tensorFromArray('value', dtype, [1], [0]) }, { dtypes: [dtype] });
  const h0 = s.h0 ?? zerosBH();
  const hPrev = g.concat([g.unsqueeze(h0, [0]), g.slice(s.y, [0], [-1], [0])], 0);
  const [rZR, rH] = g.node('Split', [s.r, g.ints([2 * H, H])], { axis: 0 }, { outputs: 2 });
  let xw = g.matmul(s.x, g.transpose(s.w, [1, 0]));
  let rbZR: Value | undefined, rbH: Value | undefined;
  if (s.b) {
    const [wb, rbZR0, rbH0] = g.node('Split', [s.b, g.ints([3 * H, 2 * H, H])], { axis: 0 }, { outputs: 3 });
    xw = g.add(xw, wb);
    rbZR = rbZR0; rbH = rbH0;
  }
  const [xz, xr, xh] = g.node('Split', [xw, g.ints([H, H, H])], { axis: -1 }, { outputs: 3 });
  let hzr = g.matmul(hPrev, g.transpose(rZR, [1, 0]));
  if (rbZR) hzr = g.add(hzr, rbZR);
  const [hz, hr] = g.node('Split', [hzr, g.ints([H, H])], { axis: -1 }, { outputs: 2 });
  const z = g.sigmoid(g.add(xz, hz));
  const rg = g.sigmoid(g.add(xr, hr));
  let aT: Value | undefined; // H_prev Rh^T + Rbh (linear_before_reset)
  let rh: Value | undefined; // r * H_prev (otherwise)
  let hh: Value;
  if (lbr) {
    aT = g.matmul(hPrev, g.transpose(rH, [1, 0]));
    if (rbH) aT = g.add(aT, rbH);
    hh = g.tanh(g.add(xh, g.mul(rg, aT)));
  } else {
    rh = g.mul(rg, hPrev);
    let pre = g.add(xh, g.matmul(rh, g.transpose(rH, [1, 0])));
    if (rbH) pre = g.add(pre, rbH);
    hh = g.tanh(pre);
  }

  const bwd = g.subgraph(g.uniqueName('gru_grads'));
  const dh = bwd.input(g.uniqueName('dh_in'), dtype, ['B', H]);
  const names = ['dy_t', 'z_t', 'r_t', 'hh_t', 'h_prev_t', ...(lbr ? ['a_t'] : [])];
  const [dyT, zT, rT, hhT, hpT, aIn] = names.map((n) => bwd.input(g.uniqueName(n), dtype, ['B', H]));
  const one = bwd.constant(1, dtype);
  const dsig = (v: Value) => bwd.mul(v, bwd.sub(one, v));
  const dht = bwd.add(dh, dyT);
  const dz = bwd.mul(bwd.mul(dht, bwd.sub(hpT, hhT)), dsig(zT));
  const dhh = bwd.mul(bwd.mul(dht, bwd.sub(one, zT)), bwd.sub(one, bwd.mul(hhT, hhT)));
  let dr: Value, dhPrev: Value, dgr: Value;
  if (lbr) {
    const dA = bwd.mul(dhh, rT);
    dr = bwd.mul(bwd.mul(dhh, aIn), dsig(rT));
    dhPrev = bwd.add(bwd.add(bwd.mul(dht, zT), bwd.matmul(bwd.concat([dz, dr], -1), rZR)), bwd.matmul(dA, rH));
    dgr = bwd.concat([dz, dr, dA], -1);
  } else {
    const dRH = bwd.matmul(dhh, rH);
    dr = bwd.mul(bwd.mul(dRH, hpT), dsig(rT));
    dhPrev = bwd.add(bwd.add(bwd.mul(dht, zT), bwd.matmul(bwd.concat([dz, dr], -1), rZR)), bwd.mul(dRH, rT));
    dgr = bwd.concat([dz, dr, dhh], -1);
  }
  const dgx = bwd.concat([dz, dr, dhh], -1);
  bwd.output(dhPrev, g.uniqueName('dh_out'));
  bwd.output(dgx, g.uniqueName('dgx_t'));
  bwd.output(dgr, g.uniqueName('dgr_t'));
  const dyAll = s.dy ?? g.op('ConstantOfShape', [g.shape(s.y)], { value: tensorFromArray('value', dtype, [1], [0]) }, { dtypes: [dtype] });
  const scanIns = [s.dyH ?? zerosBH(), dyAll, z, rg, hh, hPrev, ...(aT ? [aT] : [])];
  const [dh0, dgx3, dgr3] = g.node('Scan', scanIns, {
    body: bwd.toGraph(), num_scan_inputs: scanIns.length - 1, scan_input_directions: new Array(scanIns.length - 1).fill(1), scan_output_directions: [1, 1],
  }, { outputs: 3, dtypes: [dtype, dtype, dtype] });

  const flat = (v: Value, cols: number) => g.reshape(v, [-1, cols]);
  const I = s.w.shape?.[1];
  const dgxFlat = flat(dgx3, 3 * H);
  const dgrFlat = flat(dgr3, 3 * H);
  const dw = g.op('Gemm', [dgxFlat, typeof I === 'number' ? flat(s.x, I) : g.reshape(s.x, g.concat([g.ints([-1]), c.shapeSlice(s.x, 2)], 0))], { transA: 1 });
  let dr3: Value;
  if (lbr) dr3 = g.op('Gemm', [dgrFlat, flat(hPrev, H)], { transA: 1 });
  else {
    const [dgZR, dgH] = g.node('Split', [dgrFlat, g.ints([2 * H, H])], { axis: 1 }, { outputs: 2 });
    dr3 = g.concat([g.op('Gemm', [dgZR, flat(hPrev, H)], { transA: 1 }), g.op('Gemm', [dgH, flat(rh!, H)], { transA: 1 })], 0);
  }
  const db = g.concat([g.reduceSum(dgx3, [0, 1], false), g.reduceSum(dgr3, [0, 1], false)], 0);
  const dx = g.matmul(dgx3, s.w);
  return { dx, dw, dr: dr3, db, dh0, dc0: dh0 };
}

function rnnGrad(c: GradContext): (Value | undefined)[] {
  return recurrentGrad(c, ['Tanh'], (H, s) => rnnDirection(c, H, s));
}

/** One direction of a plain RNN, h = tanh(x W^T + h_prev R^T + b): dpre = dh (1 - h^2), dh_prev = dpre R. */
function rnnDirection(c: GradContext, H: number, s: GruDirection): DirectionGrads {
  const { g } = c;
  const dtype = s.x.dtype ?? 'float32';
  const zerosBH = () => g.op('ConstantOfShape', [g.concat([c.shapeSlice(s.x, 1, 2), g.ints([H])], 0)], { value: tensorFromArray('value', dtype, [1], [0]) }, { dtypes: [dtype] });
  const h0 = s.h0 ?? zerosBH();
  const hPrev = g.concat([g.unsqueeze(h0, [0]), g.slice(s.y, [0], [-1], [0])], 0);
  const bwd = g.subgraph(g.uniqueName('rnn_grads'));
  const dh = bwd.input(g.uniqueName('dh_in'), dtype, ['B', H]);
  const dyT = bwd.input(g.uniqueName('dy_t'), dtype, ['B', H]);
  const yT = bwd.input(g.uniqueName('y_t'), dtype, ['B', H]);
  const dpre = bwd.mul(bwd.add(dh, dyT), bwd.sub(bwd.constant(1, dtype), bwd.mul(yT, yT)));
  const dhOut = bwd.matmul(dpre, s.r);
  bwd.output(dhOut, g.uniqueName('dh_out'));
  bwd.output(dpre, g.uniqueName('dpre_t'));
  const dyAll = s.dy ?? g.op('ConstantOfShape', [g.shape(s.y)], { value: tensorFromArray('value', dtype, [1], [0]) }, { dtypes: [dtype] });
  const [dh0, dpre3] = g.node('Scan', [s.dyH ?? zerosBH(), dyAll, s.y], {
    body: bwd.toGraph(), num_scan_inputs: 2, scan_input_directions: [1, 1], scan_output_directions: [1],
  }, { outputs: 2, dtypes: [dtype, dtype] });
  const flat = (v: Value, cols: number) => g.reshape(v, [-1, cols]);
  const I = s.w.shape?.[1];
  const dFlat = flat(dpre3, H);
  const dw = g.op('Gemm', [dFlat, typeof I === 'number' ? flat(s.x, I) : g.reshape(s.x, g.concat([g.ints([-1]), c.shapeSlice(s.x, 2)], 0))], { transA: 1 });
  const dr = g.op('Gemm', [dFlat, flat(hPrev, H)], { transA: 1 });
  const dbHalf = g.reduceSum(dpre3, [0, 1], false);
  return { dx: g.matmul(dpre3, s.w), dw, dr, db: g.concat([dbHalf, dbHalf], 0), dh0, dc0: dh0 };
}

export const recurrentRules: Record<string, GradRule> = {
  RNN: { grad: rnnGrad, nondiff: [4] },
  LSTM: { grad: lstmGrad, nondiff: [4] },
  GRU: { grad: gruGrad, nondiff: [4] },
};

