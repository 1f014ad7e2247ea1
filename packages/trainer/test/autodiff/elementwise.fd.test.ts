import { FdCase, awayFromZero, positive, runCases } from './finite-difference';

const cases: FdCase[] = [
  { name: 'Add same shape', op: 'Add', inputs: [{ param: [3, 4] }, { param: [3, 4] }] },
  { name: 'Add broadcast [2,3,4] + [4]', op: 'Add', inputs: [{ param: [2, 3, 4] }, { param: [4] }] },
  { name: 'Add broadcast [2,1,4] + [3,1]', op: 'Add', inputs: [{ param: [2, 1, 4] }, { param: [3, 1] }] },
  { name: 'Add scalar', op: 'Add', inputs: [{ param: [] }, { param: [2, 3] }] },
  { name: 'Add with dynamic batch', op: 'Add', inputs: [{ data: [3, 4], dims: ['N', 4] }, { param: [1, 4] }] },
  { name: 'Sub broadcast', op: 'Sub', inputs: [{ param: [3, 1] }, { param: [2, 1, 4] }] },
  { name: 'Mul broadcast', op: 'Mul', inputs: [{ param: [2, 3, 4] }, { param: [3, 1] }] },
  { name: 'Div broadcast', op: 'Div', inputs: [{ param: [2, 3] }, { param: [3], gen: awayFromZero(0.5) }] },
  { name: 'Pow param exponent', op: 'Pow', inputs: [{ param: [2, 3], gen: positive() }, { param: [3] }] },
  { name: 'Pow constant 2', op: 'Pow', inputs: [{ param: [2, 3] }, { constant: [2], dtype: 'float', shape: [] }] },
  { name: 'Pow constant 3', op: 'Pow', inputs: [{ param: [2, 3] }, { constant: [3], dtype: 'float', shape: [] }] },
  { name: 'Pow constant 0.5', op: 'Pow', inputs: [{ param: [2, 3], gen: positive() }, { constant: [0.5], dtype: 'float', shape: [] }] },
  { name: 'Pow int64 exponent', op: 'Pow', inputs: [{ param: [2, 3] }, { constant: [3], dtype: 'int64', shape: [] }] },
  { name: 'Sqrt', op: 'Sqrt', inputs: [{ param: [2, 3], gen: positive() }] },
  { name: 'Exp', op: 'Exp', inputs: [{ param: [2, 3] }] },
  { name: 'Log', op: 'Log', inputs: [{ param: [2, 3], gen: positive() }] },
  { name: 'Neg', op: 'Neg', inputs: [{ param: [2, 3] }] },
  { name: 'Abs', op: 'Abs', inputs: [{ param: [2, 3], gen: awayFromZero(0.05) }] },
  { name: 'Reciprocal', op: 'Reciprocal', inputs: [{ param: [2, 3], gen: awayFromZero(0.5) }] },
  { name: 'Erf', op: 'Erf', inputs: [{ param: [2, 3] }] },
  { name: 'Sum of three, broadcast', op: 'Sum', inputs: [{ param: [2, 3] }, { param: [3] }, { param: [2, 1] }] },
  { name: 'Mean of two', op: 'Mean', inputs: [{ param: [2, 3] }, { param: [3] }] },
  { name: 'Max broadcast', op: 'Max', inputs: [{ param: [2, 3] }, { param: [3] }] },
  { name: 'Min of three', op: 'Min', inputs: [{ param: [4] }, { param: [4] }, { param: [4] }] },
  { name: 'Where broadcast', op: 'Where', inputs: [{ constant: [true, false, true], dtype: 'bool', shape: [3] }, { param: [2, 3] }, { param: [] }] },
  {
    name: 'an initializer used twice gets the sum',
    inputs: [{ param: [3] }, { param: [3] }],
    build: (g, [a, b]) => [g.mul(g.add(a!, b!), a!)],
  },
];

runCases('finite differences: element-wise', cases);
