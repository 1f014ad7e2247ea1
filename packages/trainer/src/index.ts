export * from './autodiff';
export * from './losses';
export * from './session';
export * from './random';
export * from './data';
export * from './fit';
