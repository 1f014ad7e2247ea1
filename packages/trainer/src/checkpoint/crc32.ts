// CRC-32 (IEEE 802.3, the polynomial of zlib and PNG). In Node (>= 20.15 / 22.2) zlib's crc32 does it at
// several GB/s; elsewhere (browsers, older Node) a slicing-by-8 table loop, about 8x the byte-at-a-time one.
import { nodeZlibCrc32 } from './node-modules';

const POLY = 0xedb88320;

/** TABLES[k][b]: the CRC of byte b followed by k zero bytes; row 0 is the classic byte table. */
const TABLES = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLY ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c >>> 0;
    }
  }
  return t;
})();

/** CRC-32 of `bytes` by slicing-by-8, the portable path (exported for tests). */
export function crc32Portable(bytes: Uint8Array, previous = 0): number {
  const T = TABLES;
  let c = (previous ^ 0xffffffff) >>> 0;
  let i = 0;
  const n = bytes.length;
  // Eight bytes per turn: the running CRC folds into the first four, eight table lookups replace eight steps.
  for (const end = n - (n % 8); i < end; i += 8) {
    const a = c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    c = T[1792 + (a & 0xff)] ^ T[1536 + ((a >>> 8) & 0xff)] ^ T[1280 + ((a >>> 16) & 0xff)] ^ T[1024 + (a >>> 24)]
      ^ T[768 + bytes[i + 4]] ^ T[512 + bytes[i + 5]] ^ T[256 + bytes[i + 6]] ^ T[bytes[i + 7]];
  }
  for (; i < n; i++) c = T[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const native = nodeZlibCrc32();

/**
 * CRC-32 of `bytes`, as an unsigned 32-bit number; with `previous` (the CRC of the bytes before them) the
 * CRC of both, so that a checksum can run over pieces.
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  return native ? native(bytes, previous) >>> 0 : crc32Portable(bytes, previous);
}
