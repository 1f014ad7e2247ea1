// Runs every optimizer on the same least-squares fit, min_W ||X W - Y||^2 / n, with the gradient computed
// here in TypeScript, and prints the loss each one reaches. A quick look at the optimizers on one problem.
import { createRandom } from '@ortrain/trainer';
import { Adagrad, Adam, AdamW, Adamax, NAdam, Parameter, RAdam, RMSprop, SGD } from '@ortrain/optimizers';
import type { OptimizerFactory } from '@ortrain/trainer';

const ROWS = 64;
const FEATURES = 8;
const OUTPUTS = 3;
const STEPS = 200;

const rand = createRandom(42); // seeded: every run prints the same table
const X = Float32Array.from({ length: ROWS * FEATURES }, () => rand() * 2 - 1);
const trueW = Float32Array.from({ length: FEATURES * OUTPUTS }, () => rand() * 2 - 1);
const Y = new Float32Array(ROWS * OUTPUTS);
for (let r = 0; r < ROWS; r++) {
  for (let o = 0; o < OUTPUTS; o++) {
    let s = 0;
    for (let f = 0; f < FEATURES; f++) s += X[r * FEATURES + f] * trueW[f * OUTPUTS + o];
    Y[r * OUTPUTS + o] = s + 0.01 * (rand() - 0.5);
  }
}

/** Loss and gradient of mean squared error of X W against Y. */
function lossAndGrad(W: Float32Array): { loss: number; grad: Float32Array } {
  const grad = new Float32Array(W.length);
  let loss = 0;
  for (let r = 0; r < ROWS; r++) {
    for (let o = 0; o < OUTPUTS; o++) {
      let pred = 0;
      for (let f = 0; f < FEATURES; f++) pred += X[r * FEATURES + f] * W[f * OUTPUTS + o];
      const err = pred - Y[r * OUTPUTS + o];
      loss += err * err;
      for (let f = 0; f < FEATURES; f++) grad[f * OUTPUTS + o] += (2 * err * X[r * FEATURES + f]) / (ROWS * OUTPUTS);
    }
  }
  return { loss: loss / (ROWS * OUTPUTS), grad };
}

const candidates: [string, OptimizerFactory][] = [
  ['SGD (momentum 0.9)', (p) => new SGD(p, { lr: 0.05, momentum: 0.9 })],
  ['Adam', (p) => new Adam(p, { lr: 0.05 })],
  ['Adam (amsgrad)', (p) => new Adam(p, { lr: 0.05, amsgrad: true })],
  ['AdamW', (p) => new AdamW(p, { lr: 0.05 })],
  ['Adamax', (p) => new Adamax(p, { lr: 0.05 })],
  ['Adagrad', (p) => new Adagrad(p, { lr: 0.3 })],
  ['RMSprop', (p) => new RMSprop(p, { lr: 0.01 })],
  ['RAdam', (p) => new RAdam(p, { lr: 0.05 })],
  ['NAdam', (p) => new NAdam(p, { lr: 0.05 })],
];

export interface LeastSquaresRow { label: string; initial: number; at10: number; final: number }

/** Fits W with each optimizer for `steps` steps; the loss before, after 10 steps and at the end. */
export async function runLeastSquares(steps = STEPS): Promise<LeastSquaresRow[]> {
  const initial = lossAndGrad(new Float32Array(FEATURES * OUTPUTS)).loss;
  const rows: LeastSquaresRow[] = [];
  for (const [label, make] of candidates) {
    const W = new Parameter('W', new Float32Array(FEATURES * OUTPUTS), [FEATURES, OUTPUTS]);
    const opt = make([W]);
    let at10 = NaN;
    let loss = NaN;
    for (let step = 1; step <= steps; step++) {
      W.grad = lossAndGrad(W.data).grad;
      await opt.step();
      opt.zeroGrad();
      loss = lossAndGrad(W.data).loss;
      if (step === 10) at10 = loss;
    }
    rows.push({ label, initial, at10, final: loss });
  }
  return rows;
}

async function main(): Promise<void> {
  const rows = await runLeastSquares();
  console.log(`least squares: X [${ROWS}x${FEATURES}], W [${FEATURES}x${OUTPUTS}], ${STEPS} steps, initial loss ${rows[0].initial.toExponential(3)}\n`);
  console.log('optimizer            loss after 10    loss after 200');
  for (const r of rows) {
    console.log(`${r.label.padEnd(20)} ${r.at10.toExponential(3).padStart(13)} ${r.final.toExponential(3).padStart(17)}`);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
