import { ModelProto, TensorProto, tensorFromArray } from '@ortrain/graph-builder';
import { Parameter, optimizerFromConfig as registeredFromConfig } from '@ortrain/optimizers';
import { isWrapperConfig, optimizerFromConfig, type Optimizable } from '@ortrain/wrappers';
import { resolveLoss } from '../losses';
import type { LossSpec } from '../losses';
import { CheckpointError, decodeCheckpoint } from '../checkpoint/format';
import { readFileNamed } from '../checkpoint/file';
import { nodePath } from '../checkpoint/node-modules';
import { ARTIFACT_FILES, ArtifactConfig, OPTIMIZER_METADATA, specFromJson } from './artifact-layout';
import type { LabelCheck, TensorSpec } from './batch';
import { loadModel } from './model-source';
import { pruneGraph } from './prune';
import { SessionState, readSessionState } from './session-state';
import { SessionModels, gradName } from './training-graphs';
import type { OptimizerFactory } from './training-session';

/** A session's parts read from an artifacts directory. */
export interface ReadArtifacts {
  models: SessionModels;
  /** The forward model (the eval model without its loss), with the checkpoint's parameter values. */
  forward: ModelProto;
  state: SessionState;
  /** Rebuilds the checkpoint's optimizer (its algorithm and parameter groups with their options). */
  factory: OptimizerFactory;
}

/** Reads and checks training_model.onnx, eval_model.onnx, optimizer_model.onnx and checkpoint in `dir`. */
export async function readArtifacts(dir: string): Promise<ReadArtifacts> {
  const path = nodePath('fromArtifacts');
  const file = (k: keyof typeof ARTIFACT_FILES) => path.join(dir, ARTIFACT_FILES[k]);
  const training = (await loadModel(file('training'), 'training model')).proto;
  const evalModel = (await loadModel(file('eval'), 'eval model')).proto;
  const optimizerModel = (await loadModel(file('optimizer'), 'optimizer model')).proto;
  const source = `checkpoint '${file('checkpoint')}'`;
  const content = decodeCheckpoint(await readFileNamed(file('checkpoint'), 'checkpoint'), source) as { artifacts?: ArtifactConfig; optimizer?: { algorithm?: string } };
  const config = content.artifacts;
  if (!config || !Array.isArray(config.params) || typeof config.lossName !== 'string') throw new CheckpointError(`${source}: holds no artifacts configuration (not written by generateArtifacts)`);
  const algorithm = String(content.optimizer?.algorithm);
  const saved = optimizerModel.metadataProps?.find((m) => m.key === OPTIMIZER_METADATA)?.value;
  if (saved !== algorithm) {
    throw new RangeError(`optimizer model '${file('optimizer')}': the update of ${saved === undefined ? 'no ortrain optimizer' : `a ${saved} optimizer`}, the checkpoint's is ${algorithm}`);
  }
  const params = config.params.map((p) => ({ name: p.name, dims: p.dims, initial: new Float32Array(p.dims.reduce((a, b) => a * b, 1)) as Float32Array }));
  const state = readSessionState(content, source, params, algorithm);
  for (const p of params) p.initial = state.params.get(p.name)!;
  checkModelInputs(training, [...config.inputs.map((i) => i.name), config.labels.name, ...params.map((p) => p.name)], `training model '${file('training')}'`);
  checkModelOutputs(training, [config.lossName, ...params.map((p) => gradName(p.name))], `training model '${file('training')}'`);
  checkModelOutputs(evalModel, [config.lossName, ...config.outputNames], `eval model '${file('eval')}'`);
  const models: SessionModels = {
    training,
    eval: evalModel,
    params,
    inputs: config.inputs.map((i) => specFromJson(i) as unknown as TensorSpec),
    labels: specFromJson(config.labels) as unknown as LabelCheck,
    outputNames: config.outputNames,
    lossName: config.lossName,
    loss: resolveLoss(config.loss as unknown as LossSpec),
  };
  // The innermost optimizer is rebuilt from its own config and the state dict's groups, the wrappers around
  // it (if any) from their configs. A checkpoint of a plain optimizer carries its algorithm's name only.
  const optimizerConfig = state.optimizer.config ?? { name: algorithm, options: {} };
  let inner = state.optimizer.stateDict as { paramGroups?: Record<string, unknown>[]; base?: unknown };
  let innerConfig = optimizerConfig;
  while (isWrapperConfig(innerConfig) && innerConfig.base) {
    innerConfig = innerConfig.base;
    inner = inner?.base as typeof inner;
  }
  const groups = inner?.paramGroups;
  if (!Array.isArray(groups)) throw new CheckpointError(`${source}: the optimizer state has no parameter groups`);
  const base = (ps: Parameter[]) => registeredFromConfig(groups.map(({ params: ids, ...options }) => ({
    ...options,
    params: (ids as number[]).map((i) => {
      if (!ps[i]) throw new CheckpointError(`${source}: an optimizer group names parameter ${i}, there are ${ps.length}`);
      return ps[i];
    }),
  })), { name: innerConfig.name, options: innerConfig.options ?? {} }) as Optimizable;
  const factory: OptimizerFactory = (ps) => optimizerFromConfig(ps, optimizerConfig, base) as ReturnType<OptimizerFactory>;
  return { models, forward: forwardOf(evalModel, models), state, factory };
}

/** The eval model cut down to the forward outputs, its parameters initializers again. */
function forwardOf(evalModel: ModelProto, models: SessionModels): ModelProto {
  const graph = pruneGraph(evalModel.graph!, models.outputNames);
  const params = new Map(models.params.map((p) => [p.name, p]));
  const initializer: TensorProto[] = [...(graph.initializer ?? [])];
  for (const i of graph.input ?? []) {
    const p = params.get(i.name!);
    if (p) initializer.push(tensorFromArray(p.name, 'float32', p.dims, p.initial));
  }
  return {
    ...evalModel,
    docString: 'forward model exported by ortrain',
    graph: { ...graph, name: 'forward', input: (graph.input ?? []).filter((i) => !params.has(i.name!)), initializer },
  };
}

function checkModelInputs(model: ModelProto, names: string[], source: string): void {
  const have = new Set((model.graph!.input ?? []).map((i) => i.name!));
  for (const n of names) if (!have.has(n)) throw new RangeError(`${source}: has no input '${n}', which the checkpoint's configuration names`);
}

function checkModelOutputs(model: ModelProto, names: string[], source: string): void {
  const have = new Set((model.graph!.output ?? []).map((o) => o.name!));
  for (const n of names) if (!have.has(n)) throw new RangeError(`${source}: has no output '${n}', which the checkpoint's configuration names`);
}
