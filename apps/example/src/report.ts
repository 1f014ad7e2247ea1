import type { FinetuneReport } from './finetune';

function pct(v: number): string {
  return `${(v * 100).toFixed(2)}%`;
}

/** The closing lines of a fine-tuning run. */
export function summarize(r: FinetuneReport): string[] {
  const lines = [`trained ${r.epochs.length} epochs on ${r.trainRows} rows in ${r.seconds.toFixed(1)} s`];
  const last = `${r.evalSet} rows (${r.evalRows}): loss ${r.valLoss.toFixed(4)}`;
  lines.push(Number.isNaN(r.valAccuracy) ? last : `${last}, accuracy ${pct(r.valAccuracy)}`);
  lines.push(`exported ${r.outPath}`);
  const plain = `plain onnxruntime-node on the exported model: max output difference ${r.maxOutputDifference.toExponential(2)}`;
  lines.push(Number.isNaN(r.exportedAccuracy) ? plain : `${plain}, accuracy ${pct(r.exportedAccuracy)}`);
  return lines;
}
