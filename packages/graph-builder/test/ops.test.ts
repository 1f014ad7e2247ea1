import {
  ATTRIBUTE_SPANS, GraphBuilder, OPS_WITHOUT_ATTRIBUTES, OP_ATTRIBUTES, OP_DEPRECATED, OP_SINCE, REQUIRED_ATTRIBUTES,
  attributeKindAt, opAttributes, opAvailability,
} from '@ortrain/graph-builder';
import * as fs from 'fs';
import * as path from 'path';
import { FIXTURES } from './helpers';

describe('the op tables', () => {
  test('every operator the attribute tables name is a known operator', () => {
    const named = [...Object.keys(OP_ATTRIBUTES), ...OPS_WITHOUT_ATTRIBUTES, ...ATTRIBUTE_SPANS.map((s) => s.op), ...REQUIRED_ATTRIBUTES.map((r) => r.op), ...OP_DEPRECATED.keys()];
    expect(named.filter((op) => !OP_SINCE.has(op))).toEqual([]);
  });

  test('no operator is both attribute-free and tabulated with attributes', () => {
    expect(Object.keys(OP_ATTRIBUTES).filter((op) => OPS_WITHOUT_ATTRIBUTES.has(op))).toEqual([]);
  });

  test('spans start at or after the operator itself and end after they start', () => {
    for (const s of ATTRIBUTE_SPANS) {
      expect([s.op, s.attr, s.from >= 1 && (s.until === undefined || s.until > s.from)]).toEqual([s.op, s.attr, true]);
    }
  });

  test('every operator of the fixture models is known at their opset 17', () => {
    const summary = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'op_summary.json'), 'utf8')) as { models: Record<string, { ops: Record<string, number> }> };
    const ops = Object.values(summary.models).flatMap((m) => Object.keys(m.ops));
    expect(ops.length).toBeGreaterThan(10);
    for (const op of ops) expect([op, opAvailability(op, 17)]).toEqual([op, { known: true }]);
  });

  test('opAvailability explains unknown, too new and deprecated operators', () => {
    expect(opAvailability('LayerNormalization', 16)).toEqual({ known: false, reason: 'first appears in opset 17, the model imports opset 16' });
    expect(opAvailability('Scatter', 11)).toEqual({ known: false, reason: 'is deprecated since opset 11, the model imports opset 11' });
    expect(opAvailability('Scatter', 10)).toEqual({ known: true });
    expect(opAvailability('Nope', 17)).toEqual({ known: false, reason: 'is not an ai.onnx operator' });
  });
});

describe('opAttributes by opset', () => {
  test('Clip: consumed_inputs in 1, min/max attributes up to 10, none from 11', () => {
    expect(opAttributes('Clip', 1)).toEqual({ consumed_inputs: 'ints', min: 'float', max: 'float' });
    expect(opAttributes('Clip', 6)).toEqual({ min: 'float', max: 'float' });
    expect(opAttributes('Clip', 11)).toEqual({});
  });

  test('Add: broadcast and axis before 7', () => {
    expect(opAttributes('Add', 6)).toEqual({ broadcast: 'int', axis: 'int' });
    expect(opAttributes('Add', 7)).toEqual({});
  });

  test('Cast: to is a string before 6; saturate from 19', () => {
    expect(attributeKindAt('Cast', 'to', 5)).toBe('string');
    expect(attributeKindAt('Cast', 'to', 6)).toBe('int');
    expect(opAttributes('Cast', 17)!.saturate).toBeUndefined();
    expect(opAttributes('Cast', 19)!.saturate).toBe('int');
  });

  test('Dropout: ratio attribute before 12, seed from 12', () => {
    expect(opAttributes('Dropout', 11)).toEqual({ ratio: 'float' });
    expect(opAttributes('Dropout', 12)).toEqual({ seed: 'int' });
  });

  test('Scan: one directions list in 8, per-input and per-output axes and directions from 9', () => {
    expect(opAttributes('Scan', 8)).toEqual({ body: 'graph', num_scan_inputs: 'int', directions: 'ints' });
    expect(Object.keys(opAttributes('Scan', 9)!).sort()).toEqual(['body', 'num_scan_inputs', 'scan_input_axes', 'scan_input_directions', 'scan_output_axes', 'scan_output_directions']);
  });

  test('operators outside the tables accept anything', () => {
    expect(opAttributes('LSTM', 17)).toBeUndefined();
    expect(attributeKindAt('LSTM', 'hidden_size', 17)).toBeUndefined();
  });
});

describe('GraphBuilder opset option', () => {
  test('an opset onnxruntime does not run is a RangeError naming it', () => {
    expect(() => new GraphBuilder('g', { opset: 6 })).toThrow(new RangeError('opset: 6 is not an ai.onnx opset onnxruntime runs (7 or later)'));
    expect(() => new GraphBuilder('g', { opset: 17.5 })).toThrow(/opset: 17.5/);
  });

  test('the IR version follows the opset', () => {
    const irOf = (opset: number) => {
      const b = new GraphBuilder('g', { opset });
      b.output(b.neg(b.input('x', 'float32', [1])), 'y');
      return b.build().irVersion;
    };
    expect([irOf(13), irOf(17), irOf(18), irOf(19), irOf(21), irOf(23)]).toEqual([8, 8, 8, 9, 10, 11]);
  });
});
