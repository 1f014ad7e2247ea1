// TensorFlow.js's Adam on its wasm backend (tfjs-core + tfjs-backend-wasm), when they are installed.
import { optionalImport } from '../optional-import';
import { Contestant, timeBlock } from '../rounds';
import { AdamProblem, BETA1, BETA2, EPS, LR } from './problem';

type Tf = typeof import('@tensorflow/tfjs-core');

let runs = 0;
let loaded: Promise<Tf | string> | undefined;

/** tfjs-core with the wasm backend selected, or why not. */
export function loadTfjsWasm(): Promise<Tf | string> {
  loaded ??= (async () => {
    const tf = await optionalImport<Tf>('@tensorflow/tfjs-core', ['setBackend']);
    if (typeof tf === 'string') return tf;
    const wasm = await optionalImport<object>('@tensorflow/tfjs-backend-wasm', ['setWasmPaths']);
    if (typeof wasm === 'string') return wasm;
    // tfjs-core's Node build registers no gradients (the @tensorflow/tfjs bundle does); the training
    // benchmark needs them. Its module-format sources register into the same global registry, and tsx
    // loads them through require.
    require('@tensorflow/tfjs-core/dist/register_all_gradients');
    if (!(await tf.setBackend('wasm'))) return 'not available (the tfjs wasm backend did not start)';
    return tf;
  })();
  return loaded;
}

export interface TfjsAdam extends Contestant {
  dispose(): void;
}

export function tfjsAdam(tf: Tf, problem: AdamProblem): TfjsAdam {
  const run = ++runs;
  const vars = problem.params.map((data, k) => {
    const initial = tf.tensor1d(data);
    const v = tf.variable(initial, true, `adam_${run}_p${k}`);
    initial.dispose();
    return v;
  });
  const grads = vars.map((v, k) => ({ name: v.name, tensor: tf.tensor1d(problem.grads[k]) }));
  const opt = tf.train.adam(LR, BETA1, BETA2, EPS);
  return {
    name: 'TensorFlow.js wasm',
    runBlock: (reps) => timeBlock(reps, () => opt.applyGradients(grads)),
    dispose: () => {
      opt.dispose();
      for (const g of grads) g.tensor.dispose();
      for (const v of vars) v.dispose();
    },
  };
}
