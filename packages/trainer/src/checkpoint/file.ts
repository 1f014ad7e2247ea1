import { nodeFs, nodePath } from './node-modules';

/**
 * Writes `bytes` (one buffer, or pieces written in order as one) to `file` atomically: into a temporary file
 * beside it, flushed to disk, then renamed over the target. A failure at any point removes the temporary
 * file and leaves a previous `file` as it was.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array | readonly Uint8Array[]): Promise<void> {
  const fs = nodeFs(`writing '${file}'`).promises;
  const path = nodePath(`writing '${file}'`);
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  await removeStaleTemps(dir, path.basename(file));
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await writeAll(handle, bytes instanceof Uint8Array ? [bytes] : bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw new Error(`cannot write '${file}': ${(err as Error).message}`, { cause: err });
  }
}

/**
 * One writev for all the pieces (FileHandle.writeFile would split a buffer into 512 KiB writes); a short
 * write goes on from where it stopped.
 */
async function writeAll(handle: import('fs').promises.FileHandle, pieces: readonly Uint8Array[]): Promise<void> {
  let rest = pieces.filter((p) => p.length > 0);
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest as Uint8Array[]);
    if (bytesWritten === 0) throw new Error('the disk took no bytes');
    while (rest.length > 0 && bytesWritten >= rest[0].length) bytesWritten -= rest.shift()!.length;
    if (bytesWritten > 0) rest = [rest[0].subarray(bytesWritten), ...rest.slice(1)];
  }
}

/**
 * Reads a whole file, with an error that names it and says what was wanted. With `into`, the bytes go into
 * its memory when the file fits (a view of its first bytes is returned), else into a new array.
 */
export async function readFileNamed(file: string, what: string, into?: Uint8Array): Promise<Uint8Array> {
  const fs = nodeFs(`${what} '${file}'`).promises;
  try {
    if (!into) {
      // The Buffer itself, as a plain Uint8Array over the same memory: `new Uint8Array(buffer)` would copy it
      // (30 MB for the mobilenet checkpoint, a fifth of a load's time).
      const b = await fs.readFile(file);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    }
    const handle = await fs.open(file, 'r');
    try {
      const { size } = await handle.stat();
      const bytes = size <= into.byteLength ? into.subarray(0, size) : new Uint8Array(size);
      for (let at = 0; at < size;) {
        const { bytesRead } = await handle.read(bytes, at, size - at, at);
        if (bytesRead === 0) throw new Error(`ended after ${at} of ${size} bytes`);
        at += bytesRead;
      }
      return bytes;
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new Error(`${what} '${file}': ${why}`, { cause: err });
  }
}

/**
 * Removes the temporary files that saves of `name` by processes no longer running left behind (a save killed
 * mid-write). Another live process's file is left alone: it may be writing it now.
 */
async function removeStaleTemps(dir: string, name: string): Promise<void> {
  const fs = nodeFs(`writing '${name}'`).promises;
  const prefix = `.${name}.`;
  let entries: string[];
  try {
    entries = await fs.readdir(dir);
  } catch {
    return; // the write itself reports a missing directory
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith('.tmp')) continue;
    const pid = Number(entry.slice(prefix.length).split('.')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid)) {
      await fs.rm(nodePath('').join(dir, entry), { force: true }).catch(() => undefined);
    }
  }
}

/** Whether a process of this id runs (on this machine). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
