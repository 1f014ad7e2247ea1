export { arrayDataset, subset } from './dataset';
export type { Dataset, ExampleArray, ExampleValues, TensorConstructor } from './dataset';
export { parseCsv, readCsv } from './csv';
export type { CsvOptions, NumericTable } from './csv';
export { TableDataset, tableDataset } from './table';
export type { TableDatasetOptions, TableTarget } from './table';
export { batchesOf, splitRows } from './split';
export { DataError } from './errors';
