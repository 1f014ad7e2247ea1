// Node's fs and path, loaded when a file is read or written rather than imported, so that browser bundles of
// the trainer (which take models and checkpoints as bytes) leave them out: the names sit in variables and
// `require` is reached indirectly, which bundlers do not follow.
const FS = 'fs';
const PATH = 'path';

function load<T>(name: string, what: string): T {
  const req = typeof require === 'function' ? require : undefined;
  if (!req) throw new Error(`${what}: files can only be used in Node; in a browser pass bytes instead`);
  return req(name) as T;
}

export const nodeFs = (what: string): typeof import('fs') => load(FS, what);
export const nodePath = (what: string): typeof import('path') => load(PATH, what);
