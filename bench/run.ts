// `npm run bench [-- --only optimizer,training,checkpoint,diagnostics,allocator] [--quick] [--no-write]`: prints each
// table and writes it into BENCHMARKS.md. Not a test: nothing here asserts a time.
import { writeFileSync } from 'fs';
import { loadavg } from 'os';
import { join } from 'path';
import { allocatorSection } from './allocator';
import { browserSection } from './browser/section';
import { checkpointSection } from './checkpoint/section';
import { diagnosticsSection } from './diagnostics';
import { machineLines } from './machine';
import { optimizerSection } from './optimizer/section';
import { fitSection } from './fit/section';
import { emptySection, updateSections } from './report-file';
import { trainingSection } from './training/section';
import { wrappersSection } from './training/wrappers-section';

const SECTIONS = ['optimizer', 'training', 'wrappers', 'checkpoint', 'diagnostics', 'allocator', 'browser', 'fit'] as const;
type Section = (typeof SECTIONS)[number];

/** A bad command line: printed as its message alone, with the usage. */
class UsageError extends RangeError {}

interface Args {
  only: Section[];
  quick: boolean;
  write: boolean;
  /** Also write the sections' Markdown, without the machine block, to this file (used by the allocator section). */
  markdownOut?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { only: [...SECTIONS], quick: false, write: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--no-write') args.write = false;
    else if (a === '--markdown-out') {
      args.markdownOut = argv[++i];
      if (!args.markdownOut) throw new UsageError('--markdown-out: expected a file path');
    }
    else if (a === '--only' || a.startsWith('--only=')) {
      const value = a === '--only' ? argv[++i] : a.slice('--only='.length);
      const names = (value ?? '').split(',');
      const bad = names.filter((n) => !(SECTIONS as readonly string[]).includes(n));
      if (!value || bad.length) throw new UsageError(`--only: expected ${SECTIONS.join(', ')} (comma-separated), got ${JSON.stringify(value ?? '')}`);
      args.only = names as Section[];
    } else if (a === '--help' || a === '-h') {
      console.log(`usage: npm run bench -- [--only ${SECTIONS.join('|')}[,...]] [--quick] [--no-write]`);
      process.exit(0);
    } else {
      throw new UsageError(`unknown argument ${JSON.stringify(a)}; try --help`);
    }
  }
  return args;
}

const TEMPLATE = `# Benchmarks

Measured by \`npm run bench\` (bench/run.ts). Medians over interleaved rounds: in every round each contestant
runs a block of steps, the order rotating from round to round; warm-up steps are not counted. Python peers
time their own steps in their own process, so no IPC is in their numbers.

## Machine

${emptySection('machine')}

## Optimizer step (issue 2)

${emptySection('optimizer')}

## Training step (issue 3)

${emptySection('training')}

## Training step with wrappers (issue 8)

${emptySection('wrappers')}

## Checkpoints (issue 11)

${emptySection('checkpoint')}

## Where the time goes

${emptySection('diagnostics')}

## Optimizer step with glibc's mmap threshold raised

${emptySection('allocator')}

## Training in the browser (issue 9)

${emptySection('browser')}

## fit with a fixed batch and with a damper (issue 12)

${emptySection('fit')}
`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const machine = machineLines();
  const loadAtStart = loadavg()[0];
  console.log(['Machine', ...machine].join('\n'));
  const sections: Record<string, string> = {};
  const mode = args.quick ? ' (quick run: few rounds, numbers are rough)' : '';
  const run: Record<Section, () => Promise<string>> = {
    optimizer: () => optimizerSection({ quick: args.quick }),
    training: () => trainingSection({ quick: args.quick }),
    wrappers: () => wrappersSection({ quick: args.quick }),
    checkpoint: () => checkpointSection({ quick: args.quick }),
    diagnostics: () => diagnosticsSection({ quick: args.quick }),
    allocator: () => allocatorSection({ quick: args.quick }),
    browser: () => browserSection({ quick: args.quick }),
    fit: () => fitSection({ quick: args.quick }),
  };
  for (const name of args.only) {
    console.log(`\n== ${name}${mode}`);
    const body = await run[name]();
    console.log(`\n${body}`);
    sections[name] = `${body}\n\n_${name}: measured ${new Date().toISOString().slice(0, 16)}Z${mode}._`;
  }
  // The cores are shared: other work running beside the benchmark shows here, and in the numbers.
  machine.push(`- Load average (1 min) at start ${loadAtStart.toFixed(2)}, at end ${loadavg()[0].toFixed(2)}; ` +
    `sections run: ${args.only.join(', ')}${mode}`);
  sections.machine = machine.join('\n');
  if (args.markdownOut) writeFileSync(args.markdownOut, args.only.map((n) => sections[n]).join('\n\n'));
  if (args.write) {
    const path = join(__dirname, '..', 'BENCHMARKS.md');
    updateSections(path, TEMPLATE, sections);
    console.log(`\nwrote ${path}`);
  }
  console.log(`bench took ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof UsageError ? `bench: ${e.message}` : e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  },
);
