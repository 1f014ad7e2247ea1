/** How a state tensor starts: from a constant (0 for most), or as a copy of the parameter (Lookahead's slow weights). */
export type StateInit = number | 'param';

/**
 * A state tensor of an update rule or transform: per element (the parameter's shape; the default) or per
 * tensor (one number per parameter, as TAdam's W_t), and its initial value.
 */
export interface StateSpec {
  name: string;
  init: StateInit;
  perTensor?: boolean;
}

/** The initial values of a state tensor over `size` elements given the parameters' current values. */
export function initialState(spec: StateSpec, length: number, param: () => Float32Array): Float32Array {
  if (spec.init === 'param') {
    if (spec.perTensor) throw new RangeError(`state '${spec.name}': a per-tensor state cannot start from the parameter`);
    return Float32Array.from(param());
  }
  return new Float32Array(length).fill(spec.init);
}
