import { SingleBar } from 'cli-progress';

/** What the progress display shows after each step. */
export interface ProgressValues {
  /** Mean training loss of the epoch so far. */
  loss: number;
  /** Held-out accuracy after the last finished epoch (NaN before the first one, or without classes). */
  accuracy: number;
}

/** One bar per epoch on a terminal, and a plain line per epoch elsewhere (logs, CI, pipes). */
export interface Progress {
  startEpoch(epoch: number, steps: number): void;
  step(done: number, values: ProgressValues): void;
  endEpoch(values: ProgressValues & { valLoss: number }): void;
}

function fmt(v: number, digits = 4): string {
  return Number.isNaN(v) ? '-' : v.toFixed(digits);
}

function pct(v: number): string {
  return Number.isNaN(v) ? '-' : `${(v * 100).toFixed(1)}%`;
}

export function createProgress(epochs: number, useBar: boolean, log: (line: string) => void): Progress {
  const width = String(epochs).length;
  const label = (epoch: number) => `epoch ${String(epoch).padStart(width)}/${epochs}`;
  let epoch = 0;
  if (useBar) {
    let bar: SingleBar | undefined;
    // Held-out figures of the previous epoch stay on screen until the current one ends.
    let last = { valLoss: '-', acc: '-' };
    return {
      startEpoch(e, steps) {
        epoch = e;
        bar = new SingleBar({
          format: `${label(e)} [{bar}] {value}/{total} | loss {loss} | val loss {valLoss} | val acc {acc}`,
          barCompleteChar: '=',
          barIncompleteChar: ' ',
          barsize: 24,
          hideCursor: true,
          clearOnComplete: false,
        });
        bar.start(steps, 0, { loss: '-', ...last });
      },
      step(done, values) {
        bar?.update(done, { loss: fmt(values.loss), acc: pct(values.accuracy) });
      },
      endEpoch(values) {
        last = { valLoss: fmt(values.valLoss), acc: pct(values.accuracy) };
        bar?.update({ loss: fmt(values.loss), ...last });
        bar?.stop();
        bar = undefined;
      },
    };
  }
  return {
    startEpoch(e) {
      epoch = e;
    },
    step() {},
    endEpoch(values) {
      log(`${label(epoch)}  loss ${fmt(values.loss)}  val loss ${fmt(values.valLoss)}  val acc ${pct(values.accuracy)}`);
    },
  };
}
