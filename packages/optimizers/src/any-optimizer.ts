import type { OptimizerStateDict, ParamGroup, StateDictOptions } from './optimizer';
import type { HookHandle, StepHook } from './step-hooks';
import type { OptimizerConfig } from './registry';

/**
 * The face every optimizer shows (the algorithms, and wrappers over them): what trainers, schedulers and
 * checkpoints rely on. Declared once here.
 */
export interface AnyOptimizer {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly paramGroups: ParamGroup<any>[];
  step(closure?: () => number | undefined | Promise<number | undefined>): Promise<number | undefined>;
  zeroGrad(setToNone?: boolean): void;
  stateDict(options?: StateDictOptions): OptimizerStateDict;
  loadStateDict(dict: OptimizerStateDict): void;
  /** The name and options that rebuild it through `optimizerFromConfig` (JSON-serialisable). */
  getConfig(): OptimizerConfig;
  registerStepPreHook(hook: StepHook<AnyOptimizer>): HookHandle;
  registerStepPostHook(hook: StepHook<AnyOptimizer>): HookHandle;
  /** Reads parameters and state back from the device so that stateDict() and every p.data are current. */
  sync(): Promise<void>;
  release(): Promise<void>;
}
