import { crc32 } from './crc32';

/**
 * The ortrain checkpoint format, version 1. All numbers little-endian.
 *
 *     offset  size  field
 *     0       8     magic, the ASCII bytes "ORTRCKPT"
 *     8       4     format version (uint32, 1)
 *     12      4     header length H in bytes (uint32)
 *     16      H     header: UTF-8 JSON of the content, typed arrays replaced by {"$tensor": index}
 *     16+H    ...   zero padding to a multiple of 8, then the tensor payloads, each padded to 8 bytes
 *     end-4   4     CRC-32 (IEEE) of every byte before it (uint32)
 *
 * The header's top level is `{ "tensors": [{ "type", "offset", "length" }], "content": ... }`: `type` is the
 * typed array's name (Float32Array, BigInt64Array, ...), `offset` counts bytes from the start of the payload
 * section and `length` counts elements. Besides typed arrays the content may hold JSON values, bigints
 * ({"$bigint": "12"}), non-finite numbers ({"$number": "NaN"}) and Maps ({"$map": [[key, value], ...]}).
 */
export const CHECKPOINT_MAGIC = 'ORTRCKPT';
export const CHECKPOINT_VERSION = 1;

/** Thrown for bytes that are not a checkpoint this version can read. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

type Typed = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | BigInt64Array | BigUint64Array;

const TYPED: Record<string, { new (buffer: ArrayBuffer, offset: number, length: number): Typed; BYTES_PER_ELEMENT: number }> = {
  Float32Array, Float64Array, Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array,
};

interface TensorEntry { type: string; offset: number; length: number }

const pad8 = (n: number) => (n + 7) & ~7;

/**
 * The checkpoint of `content` as the byte ranges a file is written from, in order: the head (magic, version,
 * header, padding), then each tensor's own bytes (views, not copies) with its padding, then the CRC. Writing
 * them with one writev costs no copy of the payload; encodeCheckpoint joins them.
 */
export function checkpointParts(content: unknown): Uint8Array[] {
  const arrays: Typed[] = [];
  const entries: TensorEntry[] = [];
  let payload = 0;
  const walk = (x: unknown, where: string): unknown => {
    if (ArrayBuffer.isView(x) && !(x instanceof DataView)) {
      const typed = x as Typed;
      // By the standard type it is (a subclass, such as the optimizers' StateArray, is stored as its base).
      const type = Object.keys(TYPED).find((name) => typed instanceof TYPED[name]);
      if (!type) throw new TypeError(`checkpoint: ${where} is a ${typed.constructor.name}, which checkpoints cannot hold`);
      entries.push({ type, offset: payload, length: typed.length });
      arrays.push(typed);
      payload += pad8(typed.byteLength);
      return { $tensor: entries.length - 1 };
    }
    if (typeof x === 'bigint') return { $bigint: x.toString() };
    if (typeof x === 'number') return Number.isFinite(x) ? x : { $number: String(x) };
    if (x instanceof Map) return { $map: [...x].map(([k, v], i) => [walk(k, `${where} key ${i}`), walk(v, `${where}[${String(k)}]`)]) };
    if (Array.isArray(x)) return x.map((v, i) => walk(v, `${where}[${i}]`));
    if (x && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x)) if (v !== undefined && typeof v !== 'function') out[k] = walk(v, `${where}.${k}`);
      return out;
    }
    if (typeof x === 'function' || typeof x === 'symbol') throw new TypeError(`checkpoint: ${where} is a ${typeof x}, which checkpoints cannot hold`);
    return x;
  };
  const tree = walk(content, 'content');
  const header = new TextEncoder().encode(JSON.stringify({ tensors: entries, content: tree }));
  const head = new Uint8Array(pad8(16 + header.length));
  const view = new DataView(head.buffer);
  head.set(new TextEncoder().encode(CHECKPOINT_MAGIC), 0);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, header.length, true);
  head.set(header, 16);
  const zeros = new Uint8Array(8);
  const parts: Uint8Array[] = [head];
  for (const a of arrays) {
    if (a.byteLength > 0) parts.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const pad = pad8(a.byteLength) - a.byteLength;
    if (pad > 0) parts.push(zeros.subarray(0, pad));
  }
  let crc: number | undefined;
  for (const part of parts) crc = crc32(part, crc);
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, crc!, true);
  parts.push(tail);
  return parts;
}

/** Encodes a tree of JSON values, typed arrays, bigints and Maps as checkpoint bytes (one buffer). */
export function encodeCheckpoint(content: unknown): Uint8Array {
  const parts = checkpointParts(content);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Decodes checkpoint bytes; `source` (a file name) names the checkpoint in errors. The typed arrays are
 * copies, or with `views` (for bytes that nothing else writes to, as a file just read) views of `bytes`
 * wherever their alignment allows.
 */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint', options: { views?: boolean } = {}): unknown {
  const fail = (why: string) => new CheckpointError(`${source}: ${why}`);
  if (bytes.length < 20) throw fail(`not an ortrain checkpoint (${bytes.length} bytes, too short)`);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (magic !== CHECKPOINT_MAGIC) throw fail(`not an ortrain checkpoint (starts with ${JSON.stringify(magic)}, expected "${CHECKPOINT_MAGIC}")`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The checksum first: a damaged version field is corruption, not a format from another release.
  const stored = view.getUint32(bytes.length - 4, true);
  const actual = crc32(bytes.subarray(0, bytes.length - 4));
  if (stored !== actual) {
    throw fail(`checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)} over ${bytes.length} bytes): the file is truncated or corrupt`);
  }
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) throw fail(`checkpoint format version ${version} is not supported (this ortrain reads version ${CHECKPOINT_VERSION})`);
  const headerLength = view.getUint32(12, true);
  if (16 + headerLength > bytes.length - 4) throw fail(`header length ${headerLength} runs past the end of the ${bytes.length}-byte file`);
  let header: { tensors: TensorEntry[]; content: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength)));
  } catch (err) {
    throw fail(`unreadable header (${(err as Error).message})`);
  }
  const dataStart = pad8(16 + headerLength);
  const arrays = header.tensors.map((t, i) => {
    const Ctor = TYPED[t.type];
    if (!Ctor) throw fail(`tensor ${i} has unknown type '${t.type}'`);
    const start = dataStart + t.offset;
    const byteLength = t.length * Ctor.BYTES_PER_ELEMENT;
    if (start + byteLength > bytes.length - 4) throw fail(`tensor ${i} (${t.length} x ${t.type}) runs past the end of the file`);
    const at = bytes.byteOffset + start;
    if (options.views && at % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(bytes.buffer as ArrayBuffer, at, t.length);
    const copy = bytes.slice(start, start + byteLength);
    return new Ctor(copy.buffer, 0, t.length);
  });
  const revive = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(revive);
    if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      if (typeof o.$tensor === 'number' && Object.keys(o).length === 1) {
        const a = arrays[o.$tensor];
        if (!a) throw fail(`reference to missing tensor ${o.$tensor}`);
        return a;
      }
      if (typeof o.$bigint === 'string' && Object.keys(o).length === 1) return BigInt(o.$bigint);
      if (typeof o.$number === 'string' && Object.keys(o).length === 1) return Number(o.$number);
      if (Array.isArray(o.$map) && Object.keys(o).length === 1) return new Map((o.$map as unknown[][]).map(([k, v]) => [revive(k), revive(v)]));
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) out[k] = revive(v);
      return out;
    }
    return x;
  };
  return revive(header.content);
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
