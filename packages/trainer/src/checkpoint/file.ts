import { nodeFs, nodePath } from './node-modules';

/**
 * Writes `bytes` to `file` atomically: into a temporary file beside it, flushed to disk, then renamed over
 * the target. A failure at any point removes the temporary file and leaves a previous `file` as it was.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const fs = nodeFs(`writing '${file}'`).promises;
  const path = nodePath(`writing '${file}'`);
  const dir = path.dirname(path.resolve(file));
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
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

/** Reads a whole file, with an error that names it and says what was wanted. */
export async function readFileNamed(file: string, what: string): Promise<Uint8Array> {
  const fs = nodeFs(`${what} '${file}'`).promises;
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new Error(`${what} '${file}': ${why}`, { cause: err });
  }
}
