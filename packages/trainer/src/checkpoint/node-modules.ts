// Node's fs, path and zlib, loaded when needed rather than imported, so that browser bundles of the trainer
// (which take models and checkpoints as bytes) leave them out: the names sit in variables and `require` is
// reached indirectly, which bundlers do not follow.
const FS = 'fs';
const PATH = 'path';
const ZLIB = 'zlib';

function load<T>(name: string, what: string): T {
  const req = typeof require === 'function' ? require : undefined;
  if (!req) throw new Error(`${what}: files can only be used in Node; in a browser pass bytes instead`);
  return req(name) as T;
}

export const nodeFs = (what: string): typeof import('fs') => load(FS, what);
export const nodePath = (what: string): typeof import('path') => load(PATH, what);

/** zlib's crc32 where this Node has it (20.15+, 22.2+), else undefined (browsers, older Node). */
export function nodeZlibCrc32(): ((data: Uint8Array, previous: number) => number) | undefined {
  try {
    const zlib = load<{ crc32?: (data: Uint8Array, value?: number) => number }>(ZLIB, 'crc32');
    return typeof zlib.crc32 === 'function' ? (data, previous) => zlib.crc32!(data, previous) : undefined;
  } catch {
    return undefined;
  }
}
