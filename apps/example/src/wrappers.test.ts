import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCommand } from './args';
import { finetune } from './finetune';

const MODEL = join(__dirname, '..', 'models', 'digits-mlp.onnx');
const DIGITS = join(__dirname, '..', 'data', 'digits.csv');

/** Trains the digits MLP for 4 epochs with the given extra flags; the held-out accuracy (20% of the rows). */
async function heldOut(extra: string[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'ortrain-wrappers-'));
  const c = parseCommand(['finetune', MODEL, '--data', DIGITS, '--feature-scale', '0.0625', '--lr', '3e-3', '--epochs', '4', '--seed', '3',
    '--out', join(dir, 'tuned.onnx'), '--no-progress', ...extra]);
  if (c.kind !== 'finetune') throw new Error('expected finetune');
  const report = await finetune(c.options, () => {});
  // The export gives what the session gave.
  expect(report.exportedAccuracy).toBeCloseTo(report.valAccuracy, 6);
  return report.valAccuracy;
}

describe('digits with the wrappers (ortrain finetune --sam / --lookahead / --scout)', () => {
  let adam = 0;
  beforeAll(async () => { adam = await heldOut([]); });

  test('plain Adam learns the digits', () => expect(adam).toBeGreaterThan(0.85));

  // "Reaches the accuracy of plain Adam": within 2 points of it on the 359 held-out rows (7 rows).
  test.each([
    ['SAM(Adam)', ['--sam', '0.05']],
    ['ASAM(Adam)', ['--sam', '0.5', '--asam']],
    ['Lookahead(Adam)', ['--lookahead', '0.5,6']],
    ['Scout(SAM(Adam))', ['--sam', '0.05', '--scout', '0.5,6']],
  ])('%s reaches the held-out accuracy of plain Adam', async (_, flags) => {
    const acc = await heldOut(flags as string[]);
    expect(acc).toBeGreaterThan(adam - 0.02);
  });
});
