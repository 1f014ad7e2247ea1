import { Tensor } from 'onnxruntime-node';
import { GraphBuilder, encodeModel } from '@ortrain/graph-builder';
import { SGD } from '@ortrain/optimizers';
import { SAM } from '@ortrain/wrappers';
import { TrainingSession } from '../../src/session';

/**
 * A two-layer scalar linear model y = x * u * v fitted to x = 1, y = 1 with MSE: the loss (uv - 1)^2 is
 * minimal on the whole hyperbola uv = 1, and the minima differ in sharpness. Sharpness, as measured here:
 * the largest eigenvalue of the loss's Hessian [[2v^2, 2(2uv - 1)], [2(2uv - 1), 2u^2]] at the end point;
 * on the valley it is 2(u^2 + v^2), least at the balanced minimum u = v = 1.
 */
function scalarNet(): Uint8Array {
  const g = new GraphBuilder('scalar_net');
  const x = g.input('x', 'float32', [1, 1]);
  const u = g.initializer('u', 'float32', [1, 1], Float32Array.of(3));
  const v = g.initializer('v', 'float32', [1, 1], Float32Array.of(0.2));
  g.output(g.matmul(g.matmul(x, u), v), 'y', [1, 1]);
  return encodeModel(g.build());
}

function sharpness(u: number, v: number): number {
  const a = 2 * v * v;
  const d = 2 * u * u;
  const b = 2 * (2 * u * v - 1);
  return (a + d) / 2 + Math.sqrt(((a - d) / 2) ** 2 + b * b);
}

test('SAM(SGD) ends at a flatter minimum than SGD from the same start (Hessian top eigenvalue)', async () => {
  const batch = { inputs: { x: new Tensor('float32', Float32Array.of(1), [1, 1]) }, labels: new Tensor('float32', Float32Array.of(1), [1, 1]) };
  const end = async (sam: boolean) => {
    const session = await TrainingSession.create({
      model: scalarNet(), loss: 'mse',
      optimizer: (ps) => (sam ? new SAM(ps, SGD, { rho: 0.1, adaptive: false, lr: 0.02 }) : new SGD(ps, { lr: 0.02 })),
    });
    for (let i = 0; i < 400; i++) await session.trainStep(batch);
    const p = await session.parameters();
    const loss = (await session.evalStep(batch)).loss;
    await session.release();
    return { u: p.get('u')![0], v: p.get('v')![0], loss };
  };
  const sgd = await end(false);
  const sam = await end(true);
  // Both are (near) minima of the loss ...
  expect(sgd.loss).toBeLessThan(1e-6);
  expect(sam.loss).toBeLessThan(2e-3);
  // ... and SAM's is markedly flatter: SGD stops where it meets the valley (sharpness ~18.4), SAM drifts
  // along it towards the balanced minimum.
  expect(sharpness(sgd.u, sgd.v)).toBeGreaterThan(18);
  expect(sharpness(sam.u, sam.v)).toBeLessThan(0.8 * sharpness(sgd.u, sgd.v));
});
