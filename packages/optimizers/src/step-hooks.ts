export type StepHook<T> = (optimizer: T) => void | Promise<void>;
export interface HookHandle {
  remove(): void;
}

/** The pre- or post-step hooks of an optimizer or a wrapper, run in the order registered. */
export class StepHooks<T> {
  private readonly hooks = new Set<StepHook<T>>();

  get size(): number {
    return this.hooks.size;
  }

  add(hook: StepHook<T>): HookHandle {
    this.hooks.add(hook);
    return { remove: () => { this.hooks.delete(hook); } };
  }

  /** Runs every hook on `target`, one after the other; a hook may remove itself or another one meanwhile. */
  async run(target: T): Promise<void> {
    for (const h of [...this.hooks]) await h(target);
  }
}
