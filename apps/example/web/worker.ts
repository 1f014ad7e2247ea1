// The training worker: builds the job from the page's form and files, trains it with fit (train-loop.ts), and
// answers the page's commands (stop, resume, export, checkpoints). The page ends a worker that is busy when a new run
// starts, so a stuck run never blocks the next one.
import * as ort from 'onnxruntime-web';
import type { ExecutionProvider } from '@ortrain/runtime';
import { type Backend, type Job, prepareJob } from './job';
import type { FromWorker, Inputs, ToWorker, TrainConfig } from './protocol';
import { predict, runFit, type RunEvents } from './train-loop';

interface WorkerScope {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  location: Location;
  navigator: Navigator & { gpu?: { requestAdapter(): Promise<unknown | null> } };
}
const scope = self as unknown as WorkerScope;

// onnxruntime-web's .wasm and .mjs files lie in ort/ beside the page (no CDN). One thread: static hosts
// rarely send the cross-origin isolation headers that threads need.
ort.env.wasm.wasmPaths = new URL('./ort/', scope.location.href).href;
ort.env.wasm.numThreads = 1;

let job: Job | undefined;
/** fit's checkpoint of where the run stands (what Resume continues and Save checkpoint saves); none before it starts. */
let standing: Uint8Array | undefined;
/** Aborted by the page's Stop while a run trains. */
let running: AbortController | undefined;
let busy = false;

const post = (message: FromWorker, transfer: Transferable[] = []) => scope.postMessage(message, transfer);
const copyOut = (bytes: Uint8Array): ArrayBuffer => bytes.slice().buffer as ArrayBuffer;

async function backendFor(choice: TrainConfig['backend']): Promise<Backend> {
  if (choice !== 'auto') return { ort, executionProviders: [choice] };
  const gpu = scope.navigator.gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  const providers: ExecutionProvider[] = adapter ? ['webgpu', 'wasm'] : ['wasm'];
  return { ort, executionProviders: providers };
}

async function prepare(config: TrainConfig, inputs: Inputs): Promise<Job> {
  // A new run replaces the last one, whose sessions (and device memory) go first.
  const previous = job;
  job = undefined;
  await previous?.session.release();
  post({ type: 'status', text: 'building the training graphs' });
  const built = await prepareJob(config, inputs, await backendFor(config.backend));
  job = built;
  standing = undefined;
  return built;
}

// onnxruntime-web's WASM runs resolve without leaving the current task, so a loop of steps would never let
// the page's 'stop' message in: every 50 ms a step yields through a MessageChannel (no timer clamping).
const channel = new MessageChannel();
let lastYield = 0;
async function letMessagesIn(): Promise<void> {
  if (performance.now() - lastYield > 50) {
    await new Promise<void>((resume) => {
      channel.port1.onmessage = () => resume();
      channel.port2.postMessage(null);
    });
    lastYield = performance.now();
  }
}

const events: RunEvents = {
  step: (step, loss) => {
    post({ type: 'step', step, loss });
    return letMessagesIn();
  },
  epoch: (report) => post({ type: 'epoch', report }),
};

/** Trains from where the run stands until its last epoch or the page's Stop. */
async function train(current: Job): Promise<void> {
  const controller = new AbortController();
  running = controller;
  post({ type: 'status', text: `training on ${current.summary.backend}` });
  let end;
  try {
    end = await runFit(current, events, { signal: controller.signal, from: standing });
  } finally {
    running = undefined;
  }
  standing = end.checkpoint;
  if (!end.finished) {
    post({ type: 'stopped', step: end.steps, epochs: end.epochs.length });
    return;
  }
  const outputs = await predict(current);
  post({
    type: 'done',
    last: end.epochs[end.epochs.length - 1],
    backend: current.summary.backend,
    predictions: { rows: Array.from(current.evalRows), outputs: Array.from(outputs), width: outputs.length / current.evalRows.length },
  });
}

function need(): Job {
  if (!job) throw new Error('no training session yet: press Train or load a checkpoint first');
  return job;
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'start': {
      const built = await prepare(message.config, message.inputs);
      post({ type: 'ready', summary: built.summary, step: 0 });
      return train(built);
    }
    case 'resume':
      return train(need());
    case 'export': {
      post({ type: 'status', text: 'exporting the trained model' });
      const bytes = copyOut(await need().session.exportModel());
      return post({ type: 'model', bytes }, [bytes]);
    }
    case 'save-checkpoint': {
      need();
      if (!standing) throw new Error('no checkpoint yet: the run has not started');
      const bytes = copyOut(standing);
      return post({ type: 'checkpoint', bytes }, [bytes]);
    }
    case 'load-checkpoint': {
      const built = await prepare(message.config, message.inputs);
      // fit restores the run from the checkpoint and, its signal already aborted, trains nothing.
      const stop = new AbortController();
      stop.abort();
      let end;
      try {
        end = await runFit(built, events, { signal: stop.signal, from: new Uint8Array(message.checkpoint) });
      } catch (err) {
        throw new Error(`checkpoint ${message.checkpointName} could not be loaded into this model, optimizer and data: ${(err as Error).message}`);
      }
      standing = end.checkpoint;
      post({ type: 'ready', summary: built.summary, step: end.steps });
      return post({ type: 'stopped', step: end.steps, epochs: end.epochs.length });
    }
    default:
      throw new Error(`unknown command ${JSON.stringify((message as { type?: unknown }).type)}`);
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'stop') {
    running?.abort();
    return;
  }
  if (busy) {
    post({ type: 'error', message: `the worker is busy; '${message.type}' was ignored` });
    return;
  }
  busy = true;
  handle(message)
    .catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }))
    .finally(() => {
      busy = false;
    });
};
