/**
 * Loaded sessions shared by identical requests: same model bytes and same options. Each user holds a
 * reference; the session is released when the last one lets go.
 */
export class SessionCache<S extends { release(): Promise<void> }> {
  private readonly entries = new Map<string, { bytes: Uint8Array; session: Promise<S>; users: number }[]>();

  /** The cached session for these bytes and options, or a new one from `load`. */
  async acquire(bytes: Uint8Array, options: string, load: () => Promise<S>): Promise<{ session: S; release: () => Promise<void> }> {
    const key = `${hashBytes(bytes)}:${bytes.length}:${options}`;
    const bucket = this.entries.get(key) ?? [];
    this.entries.set(key, bucket);
    let entry = bucket.find((e) => sameBytes(e.bytes, bytes));
    if (!entry) {
      entry = { bytes: bytes.slice(), session: load(), users: 0 };
      bucket.push(entry);
    }
    const held = entry;
    held.users++;
    let session: S;
    try {
      session = await held.session;
    } catch (e) {
      this.drop(key, held);
      throw e;
    }
    let released = false;
    return {
      session,
      release: async () => {
        if (released) return;
        released = true;
        if (--held.users === 0) {
          this.drop(key, held);
          await session.release();
        }
      },
    };
  }

  get size(): number {
    let n = 0;
    for (const bucket of this.entries.values()) n += bucket.length;
    return n;
  }

  private drop(key: string, entry: { bytes: Uint8Array }): void {
    const bucket = this.entries.get(key);
    if (!bucket) return;
    const i = bucket.indexOf(entry as never);
    if (i >= 0) bucket.splice(i, 1);
    if (bucket.length === 0) this.entries.delete(key);
  }
}

/** FNV-1a, 32 bits: a cheap bucket key; equal buckets are told apart by comparing the bytes. */
function hashBytes(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
