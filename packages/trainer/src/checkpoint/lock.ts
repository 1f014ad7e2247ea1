import { processAlive } from './file';
import { nodeFs } from './node-modules';

/**
 * A claim on a checkpoint path, so that two writers do not silently take turns overwriting each other's
 * checkpoints: `<file>.lock` holds the owner's process id and a token of the owning session. A lock whose
 * process is gone (killed, crashed) is taken over; a live owner's makes the claim fail, naming the process.
 */
export class CheckpointLock {
  private constructor(readonly lockFile: string, private readonly token: string) {}

  /** Claims `file` for the session of `token`; claiming it again from the same session is a no-op. */
  static async acquire(file: string, token: string): Promise<CheckpointLock> {
    const fs = nodeFs(`locking '${file}'`).promises;
    const lockFile = `${file}.lock`;
    const mine = `${process.pid} ${token}\n`;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fs.writeFile(lockFile, mine, { flag: 'wx' });
        return new CheckpointLock(lockFile, token);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot lock checkpoint '${file}': ${(err as Error).message}`, { cause: err });
      }
      const held = await fs.readFile(lockFile, 'utf8').catch(() => '');
      const pidText = held.trim().split(' ')[0];
      const pid = Number(pidText);
      if (held === mine) return new CheckpointLock(lockFile, token);
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
        const who = pid === process.pid ? 'another training session of this process' : `process ${pid}`;
        throw new Error(`checkpoint '${file}' is being written by ${who} (lock file '${lockFile}'); ` +
          'save to another path, or stop that writer first');
      }
      // The owner is gone (or the lock is unreadable): take it over.
      await fs.rm(lockFile, { force: true });
    }
    throw new Error(`cannot lock checkpoint '${file}': '${lockFile}' keeps reappearing`);
  }

  /** Gives the path up (only if this session still holds it). */
  async release(): Promise<void> {
    const fs = nodeFs(`unlocking '${this.lockFile}'`).promises;
    const held = await fs.readFile(this.lockFile, 'utf8').catch(() => '');
    if (held === `${process.pid} ${this.token}\n`) await fs.rm(this.lockFile, { force: true }).catch(() => undefined);
  }
}
