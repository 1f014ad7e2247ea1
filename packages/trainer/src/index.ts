export * from './autodiff';
export * from './losses';
export * from './session';
export * from './artifacts';
export * from './random';
export * from './data';
export * from './fit';
