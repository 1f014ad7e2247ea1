import { accuracy, concat } from './plain-inference';
import { createProgress } from './progress';

describe('createProgress without a terminal', () => {
  test('prints one line per epoch with loss, batch size, lr, held-out loss and accuracy', () => {
    const lines: string[] = [];
    const p = createProgress(12, false, (l) => lines.push(l));
    p.startEpoch(3, 10);
    p.step(1, { loss: 2, accuracy: NaN, batchSize: 8, lr: 0.01 });
    expect(lines).toEqual([]);
    p.endEpoch({ loss: 0.123456, valLoss: 0.2, accuracy: 0.9567, batchSize: 96, lr: 0.000623456 });
    expect(lines).toEqual(['epoch  3/12  loss 0.1235  batch 96  lr 0.000623  val loss 0.2000  val acc 95.7%']);
  });

  test('shows - for a missing accuracy', () => {
    const lines: string[] = [];
    const p = createProgress(1, false, (l) => lines.push(l));
    p.startEpoch(1, 1);
    p.endEpoch({ loss: 1, valLoss: 1, accuracy: NaN, batchSize: 1, lr: 1 });
    expect(lines[0]).toContain('val acc -');
  });
});

describe('accuracy and concat', () => {
  test('accuracy is the share of rows whose largest output is the label', () => {
    const outputs = Float32Array.from([0.1, 0.9, 0, /**/ 2, 1, 0, /**/ 0, 0, 3, /**/ 5, 6, 7]);
    expect(accuracy(outputs, [1, 0, 1, 2])).toBe(0.75);
  });

  test('concat joins chunks in order', () => {
    expect(Array.from(concat([Float32Array.from([1, 2]), new Float32Array(0), Float32Array.from([3])]))).toEqual([1, 2, 3]);
  });
});
