import { SingleBar } from 'cli-progress';

/** What the progress display shows after each update. */
export interface ProgressValues {
  /** Mean training loss of the epoch so far. */
  loss: number;
  /** Held-out accuracy after the last finished epoch (NaN before the first one, or without classes). */
  accuracy: number;
  /** Examples in the last update's batch (a damper changes it as training goes). */
  batchSize: number;
  /** The lr of the last update. */
  lr: number;
}

/** One bar per epoch on a terminal, and a plain line per epoch elsewhere (logs, CI, pipes). */
export interface Progress {
  /** `examples`: the examples an epoch takes (the bar counts examples, as a damper's batches vary). */
  startEpoch(epoch: number, examples: number): void;
  step(examplesDone: number, values: ProgressValues): void;
  endEpoch(values: ProgressValues & { valLoss: number }): void;
}

function fmt(v: number, digits = 4): string {
  return Number.isNaN(v) ? '-' : v.toFixed(digits);
}

function pct(v: number): string {
  return Number.isNaN(v) ? '-' : `${(v * 100).toFixed(1)}%`;
}

/** An lr in three significant digits: 0.001, 0.000625. */
function lrText(v: number): string {
  return Number.isNaN(v) ? '-' : String(Number(v.toPrecision(3)));
}

export function createProgress(epochs: number, useBar: boolean, log: (line: string) => void): Progress {
  const width = String(epochs).length;
  const label = (epoch: number) => `epoch ${String(epoch).padStart(width)}/${epochs}`;
  let epoch = 0;
  if (useBar) {
    let bar: SingleBar | undefined;
    let total = 0;
    // Held-out figures of the previous epoch stay on screen until the current one ends.
    let last = { valLoss: '-', acc: '-' };
    return {
      startEpoch(e, examples) {
        epoch = e;
        total = examples;
        bar = new SingleBar({
          format: `${label(e)} [{bar}] {value}/{total} | loss {loss} | batch {batch} | lr {lr} | val loss {valLoss} | val acc {acc}`,
          barCompleteChar: '=',
          barIncompleteChar: ' ',
          barsize: 24,
          hideCursor: true,
          clearOnComplete: false,
        });
        bar.start(examples, 0, { loss: '-', batch: '-', lr: '-', ...last });
      },
      step(done, values) {
        bar?.update(Math.min(done, total), { loss: fmt(values.loss), batch: values.batchSize, lr: lrText(values.lr), acc: pct(values.accuracy) });
      },
      endEpoch(values) {
        last = { valLoss: fmt(values.valLoss), acc: pct(values.accuracy) };
        bar?.update(total, { loss: fmt(values.loss), batch: values.batchSize, lr: lrText(values.lr), ...last });
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
      log(`${label(epoch)}  loss ${fmt(values.loss)}  batch ${values.batchSize}  lr ${lrText(values.lr)}  val loss ${fmt(values.valLoss)}  val acc ${pct(values.accuracy)}`);
    },
  };
}
