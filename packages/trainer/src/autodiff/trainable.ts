// Which tensors of a model train. By default the weights and biases of parameterised ops, not the constants
// exporters leave in a graph (a Pow exponent, a Clip bound, an epsilon, a shape, a scalar scale): training
// those silently gives NaN weights while the loss stays finite.
import { fromOnnxDataType, isFloatType, tensorToArray } from '@ortrain/graph-builder';
import type { DType, NodeProto, TensorProto } from '@ortrain/graph-builder';
import { subgraphsOf } from './subgraphs';

/** Where a tensor of the model lives. */
export type TensorSource = 'initializer' | 'Constant';

/** What the autodiff decided for one float tensor of the model, and why. */
export interface TrainableChoice {
  name: string;
  source: TensorSource;
  dtype: DType;
  dims: number[];
  trainable: boolean;
  reason: string;
}

/** The user's choice: names, a RegExp, a predicate over (name, tensor), or the default set but `except` some. */
export type TrainableSpec = string[] | RegExp | ((name: string, tensor: TensorProto) => boolean) | { except: string[] };

// Ops that pass a tensor's values on, rearranged (a weight transposed, cast, or split per gate before its use).
const VIEWS = new Set(['Identity', 'Cast', 'Transpose', 'Reshape', 'Unsqueeze', 'Squeeze', 'Flatten', 'Slice', 'Split', 'Expand', 'Tile', 'Concat']);
// Ops that combine a learned tensor with the data (a positional embedding added, a class token concatenated).
const COMBINE = new Set(['Add', 'Mul', 'Concat']);
const NORMS = new Set(['BatchNormalization', 'LayerNormalization', 'InstanceNormalization', 'GroupNormalization']);
const LINEAR = new Set(['MatMul', 'Gemm', 'Conv', 'ConvTranspose', 'Einsum']);

interface Use { node: NodeProto; index: number }

const label = (n: NodeProto) => `${n.opType} '${n.name || n.output?.[0]}'`;

/**
 * Decides, for every float tensor (initializers and lifted Constants), whether it trains. `reaches` holds
 * the values the loss depends on through differentiable inputs.
 */
export function chooseTrainable(tensors: Map<string, { tensor: TensorProto; source: TensorSource }>, nodes: readonly NodeProto[],
  reaches: Set<string>, spec: TrainableSpec | undefined): TrainableChoice[] {
  const uses = new Map<string, Use[]>();
  const producer = new Map<string, NodeProto>();
  // Branches and loop bodies read the tensors of the graph around them by name (names are unique across scopes).
  const all: NodeProto[] = [];
  const collect = (list: readonly NodeProto[]) => { for (const n of list) { all.push(n); for (const g of subgraphsOf(n)) collect(g.node ?? []); } };
  collect(nodes);
  for (const n of all) {
    (n.input ?? []).forEach((name, index) => { if (name) { const l = uses.get(name) ?? []; l.push({ node: n, index }); uses.set(name, l); } });
    for (const o of n.output ?? []) if (o) producer.set(o, n);
  }
  const constant = (name: string) => tensors.has(name) || producer.get(name)?.opType === 'Constant';
  const slotOf = (use: Use) => weightSlot(use, constant, producer);
  const choices: TrainableChoice[] = [];
  const named = Array.isArray(spec) ? new Set(spec) : undefined;
  const except = spec && typeof spec === 'object' && !Array.isArray(spec) && !(spec instanceof RegExp) ? new Set(spec.except) : undefined;
  for (const [name, { tensor, source }] of tensors) {
    const dtype = fromOnnxDataType(tensor.dataType ?? 0);
    const dims = (tensor.dims ?? []).map(Number);
    const choice = (trainable: boolean, reason: string) => choices.push({ name, source, dtype, dims, trainable, reason });
    if (!isFloatType(dtype)) { choice(false, `${dtype}: only float tensors train`); continue; }
    if (!reaches.has(name)) { choice(false, 'the loss does not depend on it through a differentiable input'); continue; }
    if (named) {
      choice(named.has(name), named.has(name) ? 'named in trainable' : 'not named in trainable');
      continue;
    }
    // Tensors holding Inf or NaN (additive attention masks of -inf) are constants, never parameters.
    if (!allFinite(tensor)) { choice(false, 'holds Inf or NaN (a mask, not a weight)'); continue; }
    if (spec instanceof RegExp || typeof spec === 'function') {
      const picked = spec instanceof RegExp ? spec.test(name) : !!spec(name, tensor);
      choice(picked, picked ? `matches trainable ${spec instanceof RegExp ? spec : '(a predicate)'}` : `does not match trainable ${spec instanceof RegExp ? spec : '(a predicate)'}`);
      continue;
    }
    if (except?.has(name)) { choice(false, 'frozen: listed in trainable.except'); continue; }
    const { reads, all } = followViews(name, uses);
    const slot = reads.map(slotOf).find(Boolean);
    const combined = all.find((u) => COMBINE.has(u.node.opType ?? '') && (u.node.input ?? []).some((x, i) => i !== u.index && x && !constant(x)));
    // A weight or bias has a dimension (a [1] bias of a one-output layer is one); other one-element tensors
    // are exporter constants (epsilons, scales, exponents).
    if (dims.length > 0 && slot) {
      choice(true, slot);
    } else if (dims.length === 0 || dims.reduce((a, b) => a * b, 1) <= 1) {
      choice(false, `a scalar${describeReads(reads)}: an exporter constant`);
    } else if (combined) {
      choice(true, `a learned tensor combined with the data by ${label(combined.node)}`);
    } else {
      choice(false, `not in a weight or bias slot${describeReads(reads)}`);
    }
  }
  return choices;
}

/**
 * The uses of a tensor, following it through view ops (Transpose, Slice, Concat, ...) to where it is
 * computed with (`reads`), and every use on the way (`all`).
 */
function followViews(name: string, uses: Map<string, Use[]>): { reads: Use[]; all: Use[] } {
  const reads: Use[] = [];
  const all: Use[] = [];
  const seen = new Set<string>();
  const visit = (n: string) => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const u of uses.get(n) ?? []) {
      all.push(u);
      const op = u.node.opType ?? '';
      if (VIEWS.has(op) && (u.index === 0 || op === 'Concat')) for (const o of u.node.output ?? []) { if (o) visit(o); }
      else reads.push(u);
    }
  };
  visit(name);
  return { reads, all };
}

function describeReads(reads: Use[]): string {
  if (reads.length === 0) return '';
  const shown = reads.slice(0, 3).map((u) => `input ${u.index} of ${label(u.node)}`);
  return ` (read as ${shown.join(', ')}${reads.length > 3 ? ', ...' : ''})`;
}

/** Why a use is a weight or bias slot of a parameterised op, or undefined when it is not one. */
function weightSlot({ node, index }: Use, constant: (name: string) => boolean, producer: Map<string, NodeProto>): string | undefined {
  const op = node.opType ?? '';
  const ins = node.input ?? [];
  const other = (i: number) => ins[i] ?? '';
  const from = (name: string): NodeProto | undefined => {
    let p = producer.get(name);
    while (p && VIEWS.has(p.opType ?? '') && p.opType !== 'Concat') p = producer.get(p.input?.[0] ?? '');
    return p;
  };
  switch (op) {
    case 'Conv': case 'ConvTranspose':
      return index === 1 ? `weight of ${label(node)}` : index === 2 ? `bias of ${label(node)}` : undefined;
    case 'Gemm':
      if (index === 2) return `bias of ${label(node)}`;
      return index <= 1 && !constant(other(1 - index)) ? `weight of ${label(node)}` : undefined;
    case 'MatMul':
      return index <= 1 && !constant(other(1 - index)) ? `weight of ${label(node)}` : undefined;
    case 'Einsum':
      return ins.some((n, i) => i !== index && n && !constant(n)) ? `operand of ${label(node)}` : undefined;
    case 'BatchNormalization': case 'LayerNormalization': case 'InstanceNormalization': case 'GroupNormalization':
      return index === 1 ? `scale of ${label(node)}` : index === 2 ? `bias of ${label(node)}` : undefined;
    case 'Gather':
      return index === 0 && !constant(other(1)) ? `embedding table of ${label(node)}` : undefined;
    case 'PRelu':
      return index === 1 ? `slope of ${label(node)}` : undefined;
    case 'LSTM': case 'GRU': case 'RNN':
      return index >= 1 && index <= 3 ? `${['', 'input weights', 'recurrent weights', 'bias'][index]} of ${label(node)}` : undefined;
    case 'Add': {
      if (index > 1) return undefined;
      const p = from(other(1 - index));
      if (p && LINEAR.has(p.opType ?? '')) return `bias added to the output of ${label(p)} by ${label(node)}`;
      if (p && p.opType === 'Mul' && isNormScale(p, from)) return `shift of a normalisation (${label(node)})`;
      return undefined;
    }
    case 'Mul': {
      if (index > 1) return undefined;
      const p = from(other(1 - index));
      return p && (p.opType === 'Div' || NORMS.has(p.opType ?? '')) ? `scale of a normalisation (${label(node)})` : undefined;
    }
    default: return undefined;
  }
}

/** A Mul whose other operand is a normalised value (Div or a normalisation op): the gamma of a decomposed norm. */
function isNormScale(mul: NodeProto, from: (name: string) => NodeProto | undefined): boolean {
  return (mul.input ?? []).some((n) => { const p = from(n); return !!p && (p.opType === 'Div' || NORMS.has(p.opType ?? '')); });
}

function allFinite(t: TensorProto): boolean {
  const data = tensorToArray(t) as ArrayLike<number>;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(Number(data[i]))) return false;
  return true;
}

/** The error for a model with nothing to train: what was found, and why each is not trainable. */
export function nothingTrainable(choices: TrainableChoice[], found: { initializers: number; constants: number }): RangeError {
  const lines = choices.slice(0, 20).map((c) => `  ${c.source} '${c.name}' [${c.dims.join(', ')}]: ${c.reason}`);
  if (choices.length > 20) lines.push(`  ... and ${choices.length - 20} more`);
  return new RangeError(`no tensor of the model is trainable (found ${found.initializers} initializers and ${found.constants} float Constants` +
    `${choices.length ? '' : '; none is a float tensor'}). Name tensors in \`trainable\` to train them.${lines.length ? '\n' + lines.join('\n') : ''}`);
}
