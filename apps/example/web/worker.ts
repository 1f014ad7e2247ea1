// The training worker: builds the job from the page's form and files, runs train-loop.ts, and answers the
// page's commands (stop, resume, export, checkpoints). The page ends a worker that is busy when a new run
// starts, so a stuck run never blocks the next one.
import * as ort from 'onnxruntime-web';
import type { ExecutionProvider } from '@ortrain/runtime';
import { type Backend, type Job, prepareJob } from './job';
import type { FromWorker, Inputs, ToWorker, TrainConfig } from './protocol';
import { type EpochReport, evaluate, type LoopPosition, runEpochs, START } from './train-loop';

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
let position: LoopPosition = START;
let stopAsked = false;
let busy = false;
let lastEval: { report: EpochReport; outputs: Float32Array } | undefined;

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
  position = START;
  lastEval = undefined;
  return built;
}

function isPosition(v: unknown): v is LoopPosition {
  const p = v as LoopPosition;
  return !!p && [p.epoch, p.batch, p.lossSum, p.seen].every((x) => typeof x === 'number' && Number.isFinite(x));
}

// onnxruntime-web's WASM runs resolve without leaving the current task, so a loop of steps would never let
// the page's 'stop' message in: every 50 ms the loop yields through a MessageChannel (no timer clamping).
const channel = new MessageChannel();
let lastYield = 0;
async function stopRequested(): Promise<boolean> {
  if (performance.now() - lastYield > 50) {
    await new Promise<void>((resume) => {
      channel.port1.onmessage = () => resume();
      channel.port2.postMessage(null);
    });
    lastYield = performance.now();
  }
  return stopAsked;
}

async function train(current: Job): Promise<void> {
  stopAsked = false;
  post({ type: 'status', text: `training on ${current.summary.backend}` });
  const end = await runEpochs(current, position, {
    step: (step, loss) => post({ type: 'step', step, loss }),
    epoch: (report, outputs) => {
      lastEval = { report, outputs };
      post({ type: 'epoch', report });
    },
    stopRequested,
  });
  position = end.position;
  if (!end.finished) {
    post({ type: 'stopped', position, step: current.session.step });
    return;
  }
  if (!lastEval) {
    // Resumed from a checkpoint saved after the last epoch: evaluate what was loaded.
    const r = await evaluate(current);
    lastEval = { report: { epoch: current.config.epochs, trainLoss: NaN, evalLoss: r.loss, evalAccuracy: r.accuracy }, outputs: r.outputs };
  }
  post({
    type: 'done',
    last: lastEval.report,
    backend: current.summary.backend,
    predictions: { rows: Array.from(current.evalRows), outputs: Array.from(lastEval.outputs), width: lastEval.outputs.length / current.evalRows.length },
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
      post({ type: 'ready', summary: built.summary, position, step: 0 });
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
      const session = need().session;
      session.rngState = position; // the loop's place, restored on load
      const bytes = copyOut(await session.checkpointBytes());
      return post({ type: 'checkpoint', bytes }, [bytes]);
    }
    case 'load-checkpoint': {
      const built = await prepare(message.config, message.inputs);
      try {
        await built.session.loadCheckpoint(new Uint8Array(message.checkpoint));
      } catch (err) {
        throw new Error(`checkpoint ${message.checkpointName} could not be loaded into this model and optimizer: ${(err as Error).message}`);
      }
      position = isPosition(built.session.rngState) ? { ...built.session.rngState } : START;
      lastEval = undefined;
      post({ type: 'ready', summary: built.summary, position, step: built.session.step });
      return post({ type: 'stopped', position, step: built.session.step });
    }
    default:
      throw new Error(`unknown command ${JSON.stringify((message as { type?: unknown }).type)}`);
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === 'stop') {
    stopAsked = true;
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
