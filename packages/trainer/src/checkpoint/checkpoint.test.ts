import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CheckpointError, checkpointParts, decodeCheckpoint, encodeCheckpoint } from './format';
import { spawnSync } from 'child_process';
import { readFileNamed, writeFileAtomic } from './file';
import { CheckpointLock } from './lock';
import { crc32, crc32Portable } from './crc32';

describe('checkpoint format', () => {
  const content = {
    params: { w: new Float32Array([1.5, -2, 3]), b: new Float64Array([Math.PI]) },
    counters: { step: 7, big: 12345678901234567890n },
    odd: [NaN, Infinity, -Infinity, null, 'text', true],
    state: new Map<unknown, unknown>([[0, { exp: new Float32Array([0.25]) }], ['k', new BigInt64Array([3n, -4n])]]),
  };

  test('round-trips typed arrays, bigints, non-finite numbers and maps', () => {
    const back = decodeCheckpoint(encodeCheckpoint(content)) as typeof content;
    expect(back.params.w).toEqual(new Float32Array([1.5, -2, 3]));
    expect(back.params.b).toEqual(new Float64Array([Math.PI]));
    expect(back.counters.big).toBe(12345678901234567890n);
    expect(back.odd).toEqual([NaN, Infinity, -Infinity, null, 'text', true]);
    expect(back.state).toBeInstanceOf(Map);
    expect((back.state.get(0) as { exp: Float32Array }).exp).toEqual(new Float32Array([0.25]));
    expect(back.state.get('k')).toEqual(new BigInt64Array([3n, -4n]));
  });

  test('checkpoints written by the earlier (byte-loop CRC, one-buffer) encoder still load, and encode the same', () => {
    // The bytes of `content` as the encoder wrote them before the CRC and the file writing changed.
    const earlier = new Uint8Array(Buffer.from(EARLIER_V1, 'base64'));
    expect(encodeCheckpoint(content)).toEqual(earlier);
    const back = decodeCheckpoint(earlier, 'earlier.ckpt') as typeof content;
    expect(back.params.w).toEqual(new Float32Array([1.5, -2, 3]));
    expect(back.state.get('k')).toEqual(new BigInt64Array([3n, -4n]));
  });

  test('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32Portable(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  test('the portable slicing-by-8 CRC agrees with the byte-at-a-time definition at every length and split', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919 + (i >> 3)) & 0xff);
    const reference = (b: Uint8Array): number => {
      let c = 0xffffffff;
      for (const x of b) {
        c ^= x;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      return (c ^ 0xffffffff) >>> 0;
    };
    for (const n of [0, 1, 7, 8, 9, 15, 16, 17, 63, 1000]) {
      const b = bytes.subarray(0, n);
      expect(crc32Portable(b)).toBe(reference(b));
      expect(crc32(b)).toBe(reference(b));
    }
    // Over pieces: the CRC of the first piece carries into the second.
    for (const cut of [0, 3, 8, 500, 999]) {
      expect(crc32Portable(bytes.subarray(cut), crc32Portable(bytes.subarray(0, cut)))).toBe(reference(bytes));
      expect(crc32(bytes.subarray(cut), crc32(bytes.subarray(0, cut)))).toBe(reference(bytes));
    }
  });

  test('the pieces a file is written from are the encoded bytes, the payload as views of the arrays', () => {
    const parts = checkpointParts(content);
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
    expect(joined).toEqual(encodeCheckpoint(content));
    expect(parts.some((p) => p.buffer === content.params.w.buffer)).toBe(true);
  });

  test('views decode shares the bytes where aligned; the default decode copies', () => {
    const bytes = encodeCheckpoint(content);
    const shared = decodeCheckpoint(bytes, 'v', { views: true }) as typeof content;
    const copied = decodeCheckpoint(bytes, 'v') as typeof content;
    expect(shared.params.w.buffer).toBe(bytes.buffer);
    expect(copied.params.w.buffer).not.toBe(bytes.buffer);
    expect(shared.params.w).toEqual(copied.params.w);
    // Misaligned bytes (a Float64Array cannot start at an odd offset) are copied even when views are asked for.
    const odd = new Uint8Array(bytes.length + 1).subarray(1);
    odd.set(bytes);
    const back = decodeCheckpoint(odd, 'odd', { views: true }) as typeof content;
    expect(back.params.b).toEqual(new Float64Array([Math.PI]));
    expect(back.params.b.buffer).not.toBe(odd.buffer);
  });

  test('a flipped byte, a truncation or foreign bytes are rejected, naming the source', () => {
    const bytes = encodeCheckpoint(content);
    const flipped = bytes.slice();
    flipped[40] ^= 0xff;
    expect(() => decodeCheckpoint(flipped, 'a.ckpt')).toThrow(/a\.ckpt: checksum mismatch/);
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 9), 'b.ckpt')).toThrow(/b\.ckpt: checksum mismatch.*truncated/);
    expect(() => decodeCheckpoint(new TextEncoder().encode('{"not":"a checkpoint at all"}'), 'c.ckpt')).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(new Uint8Array(3), 'd.ckpt')).toThrow(/d\.ckpt: .*too short/);
    // A damaged version field is corruption; a version written by another release (checksum intact) is named.
    const damaged = bytes.slice();
    new DataView(damaged.buffer).setUint32(8, 65281, true);
    expect(() => decodeCheckpoint(damaged, 'e.ckpt')).toThrow(/e\.ckpt: checksum mismatch.*corrupt/);
    const versioned = damaged.slice();
    new DataView(versioned.buffer).setUint32(versioned.length - 4, crc32(versioned.subarray(0, versioned.length - 4)), true);
    expect(() => decodeCheckpoint(versioned, 'f.ckpt')).toThrow(/f\.ckpt: checkpoint format version 65281 is not supported/);
  });
});

const EARLIER_V1 =
  'T1JUUkNLUFQBAAAA3gEAAHsidGVuc29ycyI6W3sidHlwZSI6IkZsb2F0MzJBcnJheSIsIm9mZnNldCI6MCwibGVuZ3RoIjozfSx7InR5cGUiOiJGbG9hdDY0QXJyYXkiLCJvZmZzZXQiOjE2LCJsZW5ndGgiOjF9LHsidHlwZSI6IkZsb2F0MzJBcnJheSIsIm9mZnNldCI6MjQsImxlbmd0aCI6MX0seyJ0eXBlIjoiQmlnSW50NjRBcnJheSIsIm9mZnNldCI6MzIsImxlbmd0aCI6Mn1dLCJjb250ZW50Ijp7InBhcmFtcyI6eyJ3Ijp7IiR0ZW5zb3IiOjB9LCJiIjp7IiR0ZW5zb3IiOjF9fSwiY291bnRlcnMiOnsic3RlcCI6NywiYmlnIjp7IiRiaWdpbnQiOiIxMjM0NTY3ODkwMTIzNDU2Nzg5MCJ9fSwib2RkIjpbeyIkbnVtYmVyIjoiTmFOIn0seyIkbnVtYmVyIjoiSW5maW5pdHkifSx7IiRudW1iZXIiOiItSW5maW5pdHkifSxudWxsLCJ0ZXh0Iix0cnVlXSwic3RhdGUiOnsiJG1hcCI6W1swLHsiZXhwIjp7IiR0ZW5zb3IiOjJ9fV0sWyJrIix7IiR0ZW5zb3IiOjN9XV19fX0AAAAAwD8AAADAAABAQAAAAAAYLURU+yEJQAAAgD4AAAAAAwAAAAAAAAD8/////////zXk/Oo=';

describe('atomic file writes', () => {
  let dir: string;
  beforeEach(async () => { dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ortrain-ckpt-')); });
  afterEach(async () => { jest.restoreAllMocks(); await fs.rm(dir, { recursive: true, force: true }); });

  test('writes the bytes and leaves no temporary file', async () => {
    const file = path.join(dir, 'x.bin');
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    expect(new Uint8Array(await fs.readFile(file))).toEqual(new Uint8Array([1, 2, 3]));
    expect(await fs.readdir(dir)).toEqual(['x.bin']);
  });

  test('pieces are written in order as one file, empty ones skipped', async () => {
    const file = path.join(dir, 'y.bin');
    await writeFileAtomic(file, [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3]), new Uint8Array([4, 5, 6])]);
    expect(new Uint8Array(await fs.readFile(file))).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6]));
  });

  test('a failed write leaves the previous file intact and removes the temporary file', async () => {
    const file = path.join(dir, 'x.bin');
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    jest.spyOn(fs, 'rename').mockRejectedValueOnce(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    await expect(writeFileAtomic(file, new Uint8Array([9, 9, 9, 9]))).rejects.toThrow(/cannot write '.*x\.bin': ENOSPC/);
    expect(new Uint8Array(await fs.readFile(file))).toEqual(new Uint8Array([1, 2, 3]));
    expect(await fs.readdir(dir)).toEqual(['x.bin']);
  });

  test("temporary files of dead processes are removed by the next save; a live process's are kept", async () => {
    const file = path.join(dir, 'x.bin');
    const dead = await deadPid();
    const stale = `.x.bin.${dead}.abc123.tmp`;
    const live = `.x.bin.${process.ppid}.def456.tmp`;
    const other = `.y.bin.${dead}.abc123.tmp`;
    for (const f of [stale, live, other]) await fs.writeFile(path.join(dir, f), 'partial');
    await writeFileAtomic(file, new Uint8Array([1]));
    expect((await fs.readdir(dir)).sort()).toEqual([live, other, 'x.bin'].sort());
  });

  test("a second writer of a checkpoint path fails naming the owner; a dead owner's lock is taken over", async () => {
    const file = path.join(dir, 'run.ckpt');
    const a = await CheckpointLock.acquire(file, 'session-a');
    expect(await fs.readFile(`${file}.lock`, 'utf8')).toBe(`${process.pid} session-a\n`);
    await CheckpointLock.acquire(file, 'session-a'); // the owner again: fine
    await expect(CheckpointLock.acquire(file, 'session-b')).rejects.toThrow(/checkpoint '.*run\.ckpt' is being written by another training session of this process \(lock file '.*run\.ckpt\.lock'\)/);
    await fs.writeFile(`${file}.lock`, `${process.ppid} other\n`);
    await expect(CheckpointLock.acquire(file, 'session-b')).rejects.toThrow(new RegExp(`being written by process ${process.ppid}`));
    await fs.writeFile(`${file}.lock`, `${await deadPid()} gone\n`);
    const b = await CheckpointLock.acquire(file, 'session-b');
    await a.release(); // no longer a's: left alone
    expect(await fs.readFile(`${file}.lock`, 'utf8')).toBe(`${process.pid} session-b\n`);
    await b.release();
    expect(await fs.readdir(dir)).toEqual([]);
  });

  test('a missing directory or file is named in the error', async () => {
    await expect(writeFileAtomic(path.join(dir, 'no', 'x.bin'), new Uint8Array(1))).rejects.toThrow(/cannot write '.*no\/x\.bin'/);
    await expect(readFileNamed(path.join(dir, 'gone.ckpt'), 'checkpoint')).rejects.toThrow(/checkpoint '.*gone\.ckpt': no such file/);
  });
});

/** The id of a process that has exited (a child that ran and was reaped). */
async function deadPid(): Promise<number> {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}
