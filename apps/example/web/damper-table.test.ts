import * as damping from '@ortrain/damping';
import { DAMPERS, damperChoice } from './damper-table';

describe("the page's damper table", () => {
  test('each entry is the damper class exported under its name, and builds from the form\'s starting options', async () => {
    for (const d of DAMPERS) {
      expect([d.name, d.Class]).toEqual([d.name, (damping as Record<string, unknown>)[d.name]]);
      const damper = new d.Class({ ...d.options, datasetSize: 1438, lr: 0.05 });
      const first = await damper.next();
      // The first update uses the starting batch size and the optimizer's lr.
      expect([d.name, first.batchSize, first.lr]).toEqual([d.name, d.options.initialBatchSize, 0.05]);
    }
  });

  test('PadaDamp from the form grows its batch by growthRate per update', async () => {
    const d = damperChoice('PadaDamp');
    const damper = new d.Class({ ...d.options, datasetSize: 1438, lr: 0.05 });
    const sizes: number[] = [];
    for (let k = 0; k < 12; k++) {
      sizes.push((await damper.next()).batchSize);
      damper.record({ examples: sizes[k], loss: 1 });
    }
    expect(sizes).toEqual(sizes.map((_, k) => Math.ceil(8 + 0.1 * k)));
  });

  test('an unknown name is a RangeError listing the choices', () => {
    expect(() => damperChoice('Nope')).toThrow(new RangeError("damper: unknown damper 'Nope' (known: none, PadaDamp, GeoDamp, GeoDampLR, RadaDamp)"));
  });
});
