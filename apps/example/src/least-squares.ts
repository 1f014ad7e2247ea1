// Runs every optimizer on the same least-squares fit, min_W ||X W - Y||^2 / n, with the gradient computed
// here in TypeScript, and prints the loss each one reaches. A quick look at the optimizers on one problem.
import { createRandom } from '@ortrain/trainer';
import { Parameter, optimizerFromConfig } from '@ortrain/optimizers';

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

// Every fit starts from the same W0, larger than the solution: layer-wise methods scale their steps by ||W||, and
// holocron's AdamP (signed cosine) never lets ||W|| grow, so it only fits from above.
const W0 = Float32Array.from({ length: FEATURES * OUTPUTS }, () => rand() * 4 - 2);

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

/** Each optimizer by its registered name, with the options of the fit (a step size that suits this problem). */
const candidates: [label: string, name: string, options: Record<string, unknown>][] = [
  ['SGD (momentum 0.9)', 'SGD', { lr: 0.05, momentum: 0.9 }],
  ['Adam', 'Adam', { lr: 0.05 }],
  ['Adam (amsgrad)', 'Adam', { lr: 0.05, amsgrad: true }],
  ['AdamW', 'AdamW', { lr: 0.05 }],
  ['Adamax', 'Adamax', { lr: 0.05 }],
  ['Adagrad', 'Adagrad', { lr: 0.3 }],
  ['RMSprop', 'RMSprop', { lr: 0.02 }],
  ['RAdam', 'RAdam', { lr: 0.2 }],
  ['NAdam', 'NAdam', { lr: 0.05 }],
  ['LARS (quadra)', 'LARS', { lr: 1, momentum: 0.9, weightDecay: 1e-5, trustCoefficient: 0.05 }],
  ['LARS (holocron)', 'LARS', { lr: 0.003, momentum: 0.9, compat: 'holocron' }],
  ['LAMB', 'LAMB', { lr: 0.02 }],
  ['RaLars', 'RaLars', { lr: 0.05 }],
  ['TAdam', 'TAdam', { lr: 0.05 }],
  ['AdaBelief', 'AdaBelief', { lr: 0.05 }],
  ['AdamP', 'AdamP', { lr: 0.1 }],
  ['Adan', 'Adan', { lr: 0.2 }],
  ['AdEMAMix', 'AdEMAMix', { lr: 0.05, alpha: 2 }],
];

/** The registered optimizers the table covers (each at least once). */
export const covered = (): string[] => [...new Set(candidates.map((c) => c[1]))];

export interface LeastSquaresRow { label: string; initial: number; at10: number; final: number }

/** Fits W with each optimizer for `steps` steps; the loss before, after 10 steps and at the end. */
export async function runLeastSquares(steps = STEPS): Promise<LeastSquaresRow[]> {
  const initial = lossAndGrad(W0).loss;
  const rows: LeastSquaresRow[] = [];
  for (const [label, name, options] of candidates) {
    const W = new Parameter('W', Float32Array.from(W0), [FEATURES, OUTPUTS]);
    const opt = optimizerFromConfig([W], { name, options });
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
    await opt.release();
  }
  return rows;
}

async function main(): Promise<void> {
  const rows = await runLeastSquares();
  console.log(`least squares: X [${ROWS}x${FEATURES}], W [${FEATURES}x${OUTPUTS}], ${STEPS} steps, initial loss ${rows[0].initial.toExponential(3)}\n`);
  console.log('optimizer               loss after 10    loss after 200');
  for (const r of rows) {
    console.log(`${r.label.padEnd(23)} ${r.at10.toExponential(3).padStart(13)} ${r.final.toExponential(3).padStart(17)}`);
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
