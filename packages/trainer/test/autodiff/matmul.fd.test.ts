import { floatAttr } from '@ortrain/graph-builder';
import { FdCase, runCases } from './finite-difference';

const cases: FdCase[] = [
  { name: 'MatMul 2-D', op: 'MatMul', inputs: [{ param: [3, 4] }, { param: [4, 5] }] },
  { name: 'MatMul batched activations, 2-D weight', op: 'MatMul', inputs: [{ param: [2, 3, 4] }, { param: [4, 5] }] },
  { name: 'MatMul dynamic batch, 2-D weight', op: 'MatMul', inputs: [{ data: [2, 3, 4], dims: ['B', 'T', 4] }, { param: [4, 5] }] },
  { name: 'MatMul batched both', op: 'MatMul', inputs: [{ param: [2, 3, 4] }, { param: [2, 4, 5] }] },
  { name: 'MatMul broadcast batch', op: 'MatMul', inputs: [{ param: [2, 1, 3, 4] }, { param: [3, 4, 5] }] },
  { name: 'MatMul 2-D times batched', op: 'MatMul', inputs: [{ param: [3, 4] }, { param: [2, 4, 5] }] },
  { name: 'MatMul 1-D times 2-D', op: 'MatMul', inputs: [{ param: [4] }, { param: [4, 5] }] },
  { name: 'MatMul 2-D times 1-D', op: 'MatMul', inputs: [{ param: [3, 4] }, { param: [4] }] },
  { name: 'MatMul 1-D times 1-D', op: 'MatMul', inputs: [{ param: [4] }, { param: [4] }] },
  { name: 'MatMul batched times 1-D', op: 'MatMul', inputs: [{ param: [2, 3, 4] }, { param: [4] }] },
  { name: 'MatMul 1-D times batched', op: 'MatMul', inputs: [{ param: [4] }, { param: [2, 4, 5] }] },
  { name: 'Gemm plain with bias [N]', op: 'Gemm', inputs: [{ param: [3, 4] }, { param: [4, 5] }, { param: [5] }] },
  { name: 'Gemm transB (Linear)', op: 'Gemm', attrs: { transB: 1 }, inputs: [{ param: [3, 4] }, { param: [5, 4] }, { param: [5] }] },
  { name: 'Gemm transA', op: 'Gemm', attrs: { transA: 1 }, inputs: [{ param: [4, 3] }, { param: [4, 5] }, { param: [3, 5] }] },
  { name: 'Gemm transA transB alpha beta', op: 'Gemm', attrs: { transA: 1, transB: 1, alpha: floatAttr(0.7), beta: floatAttr(1.3) }, inputs: [{ param: [4, 3] }, { param: [5, 4] }, { param: [3, 1] }] },
  { name: 'Gemm scalar C', op: 'Gemm', attrs: { beta: floatAttr(0.5) }, inputs: [{ param: [3, 4] }, { param: [4, 5] }, { param: [] }] },
  { name: 'Gemm [1, N] C', op: 'Gemm', inputs: [{ param: [3, 4] }, { param: [4, 5] }, { param: [1, 5] }] },
  { name: 'Gemm without C', op: 'Gemm', attrs: { alpha: floatAttr(2) }, inputs: [{ param: [3, 4] }, { param: [4, 5] }] },
  { name: 'Gemm dynamic batch', op: 'Gemm', attrs: { transB: 1 }, inputs: [{ data: [3, 4], dims: ['N', 4] }, { param: [5, 4] }, { param: [5] }] },
  { name: 'Einsum ij,jk->ik', op: 'Einsum', attrs: { equation: 'ij,jk->ik' }, inputs: [{ param: [3, 4] }, { param: [4, 2] }] },
  { name: 'Einsum batched bij,bjk->bik', op: 'Einsum', attrs: { equation: 'bij,bjk->bik' }, inputs: [{ param: [2, 3, 4] }, { param: [2, 4, 2] }] },
  { name: 'Einsum implicit output ij,jk', op: 'Einsum', attrs: { equation: 'ij,jk' }, inputs: [{ param: [3, 4] }, { param: [4, 2] }] },
  { name: 'Einsum transposed operand ik,jk->ij', op: 'Einsum', attrs: { equation: 'ik,jk->ij' }, inputs: [{ param: [3, 4] }, { param: [2, 4] }] },
  { name: 'Einsum letters carried by one operand ij,kl->ik', op: 'Einsum', attrs: { equation: 'ij,kl->ik' }, inputs: [{ param: [3, 4] }, { param: [2, 5] }] },
  { name: 'Einsum one operand ij->j', op: 'Einsum', attrs: { equation: 'ij->j' }, inputs: [{ param: [3, 4] }] },
  { name: 'Einsum three operands i,ij,j->', op: 'Einsum', attrs: { equation: 'i,ij,j->' }, inputs: [{ param: [3] }, { param: [3, 4] }, { param: [4] }] },
];

runCases('finite differences: MatMul, Gemm and Einsum', cases);
