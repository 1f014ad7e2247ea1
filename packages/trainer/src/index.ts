export * from './autodiff';
export * from './losses';
