// The graph ortrain's Adam runs for one flat parameter group, built through the optimizers package's public
// buildGroupModel, so the diagnostics can count its nodes and time a bare session.run of it beside
// opt.step() (the difference is what the optimizer adds in JS).
import { encodeModel } from '@ortrain/graph-builder';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { optionalImport } from '../optional-import';
import { Contestant, timeBlock } from '../rounds';
import { LR } from './problem';

interface RuleLike {
  defaults: Record<string, unknown>;
  scalars(o: Record<string, unknown>, t: number, host: Record<string, number>): { values: Record<string, number>; variant: string };
  state(o: Record<string, unknown>): { name: string }[];
}

interface ModelLike {
  graph?: { node?: { opType?: string }[] } | null;
}

interface CompileModule {
  adam: RuleLike;
  buildGroupModel(rule: RuleLike, options: Record<string, unknown>, plan: unknown, stateNames: string[], flatGrad: boolean): ModelLike;
}

export interface AdamGraph {
  /** Op types of the graph's nodes, in order. */
  ops: string[];
  /** A bare session.run of the graph over `size` parameters, fed as opt.step() feeds it. */
  contestant(name: string): Promise<Contestant>;
}

export async function adamGraph(size: number): Promise<AdamGraph | string> {
  const mod = await optionalImport<CompileModule>('@ortrain/optimizers', ['adam', 'buildGroupModel']);
  if (typeof mod === 'string') return mod;
  const options = { ...mod.adam.defaults, lr: LR };
  const scalars = mod.adam.scalars(options, 1, {});
  const stateNames = mod.adam.state(options).map((s) => s.name);
  const plan = { tensors: [{ offset: 0, size, shape: [size] }], sets: [0], scalarSets: [{ names: Object.keys(scalars.values), variant: scalars.variant }] };
  const model = mod.buildGroupModel(mod.adam, options, plan, stateNames, true);
  const ops = (model.graph?.node ?? []).map((n) => n.opType ?? '?');
  return {
    ops,
    contestant: async (name) => {
      const session = await InferenceSession.create(encodeModel(model as never), { executionProviders: ['cpu'] });
      const vector = (v: number) => new Tensor('float32', new Float32Array(size).fill(v), [size]);
      const feeds: Record<string, Tensor> = { param: vector(0.5), grad: vector(0.01) };
      for (const n of stateNames) feeds[`state.${n}`] = vector(0);
      for (const [n, v] of Object.entries(scalars.values)) feeds[`s0.${n}`] = new Tensor('float32', Float32Array.of(v), []);
      for (const n of session.inputNames) if (!feeds[n]) throw new Error(`adamGraph: no feed for input '${n}' of the Adam graph`);
      return { name, runBlock: (reps) => timeBlock(reps, async () => { await session.run(feeds); }) };
    },
  };
}
