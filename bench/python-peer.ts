// A Python peer (PyTorch) that lives for the whole section and answers one JSON line per request, so
// Node and Python contestants can take turns round by round. Debian's python3-torch installs for
// /usr/bin/python3, which is not always the first python3 on PATH; ORTRAIN_BENCH_PYTHON overrides it.
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import { existsSync } from 'fs';
import { createInterface } from 'readline';

export const PYTHON = process.env.ORTRAIN_BENCH_PYTHON ?? '/usr/bin/python3';

export interface PeerHello {
  torch: string;
  threads: number;
}

export class PythonPeer {
  private readonly pending: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  private closed: string | undefined;
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams, readonly hello: PeerHello) {}

  /**
   * Starts `script` and waits for its first line. Resolves to the reason as a string when there is no
   * usable Python with torch, so callers can print 'not installed' instead of failing.
   */
  static async start(script: string, args: string[] = []): Promise<PythonPeer | string> {
    if (!existsSync(PYTHON)) return `not installed (${PYTHON} not found)`;
    const child = spawn(PYTHON, [script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const first = await new Promise<string | undefined>((resolve) => {
      lines.once('line', resolve);
      child.once('exit', () => resolve(undefined));
      child.once('error', () => resolve(undefined));
    });
    if (first === undefined) return `not installed (${PYTHON} ${script} exited: ${stderr.trim().split('\n').pop() ?? ''})`;
    const hello = JSON.parse(first) as { ready: boolean; error?: string } & PeerHello;
    if (!hello.ready) {
      child.kill();
      return `not installed (${hello.error ?? 'torch not importable'})`;
    }
    const peer = new PythonPeer(child, { torch: hello.torch, threads: hello.threads });
    peer.stderr = stderr;
    child.stderr.on('data', (d: Buffer) => { peer.stderr += d.toString(); });
    lines.on('line', (line) => peer.answer(line));
    child.once('exit', (code) => peer.fail(`python peer exited with code ${code}: ${peer.stderr.trim().split('\n').slice(-3).join(' | ')}`));
    return peer;
  }

  /** Sends one request and waits for its answer; an answer with `error` rejects. */
  request<T>(message: Record<string, unknown>): Promise<T> {
    if (this.closed) return Promise.reject(new Error(this.closed));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin.write(JSON.stringify(message) + '\n');
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = 'python peer closed';
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await exited;
  }

  private answer(line: string): void {
    const waiter = this.pending.shift();
    if (!waiter) return;
    const reply = JSON.parse(line) as { error?: string };
    if (reply.error) waiter.reject(new Error(`torch: ${reply.error}`));
    else waiter.resolve(reply);
  }

  private fail(reason: string): void {
    if (!this.closed) this.closed = reason;
    for (const w of this.pending.splice(0)) w.reject(new Error(reason));
  }
}
