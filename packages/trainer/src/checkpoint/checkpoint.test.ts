import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from './format';
import { spawnSync } from 'child_process';
import { readFileNamed, writeFileAtomic } from './file';
import { CheckpointLock } from './lock';
import { crc32 } from './crc32';

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

  test('crc32 matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
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
