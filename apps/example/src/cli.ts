import { DataError } from '@ortrain/trainer';
import { parseCommand } from './args';
import { InputError } from './errors';
import { finetune } from './finetune';
import { summarize } from './report';

/** Tolerance for the exported model's outputs against the training session's own evaluation. */
export const EXPORT_TOLERANCE = 1e-4;

/**
 * Runs the ortrain command line and returns the exit code: 0 on success, 2 for a bad option, file or data
 * (the message names it; the trainer's DataError for data that cannot be read or does not fit the model), 1 when
 * training itself fails.
 */
export async function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): Promise<number> {
  try {
    const command = parseCommand(argv);
    if (command.kind === 'help') {
      out(command.text);
      return 0;
    }
    const report = await finetune(command.options, out, err);
    for (const line of summarize(report)) out(line);
    if (!(report.maxOutputDifference <= EXPORT_TOLERANCE)) {
      err(`ortrain: the exported model's outputs differ from the training session's by ${report.maxOutputDifference}`);
      return 1;
    }
    return 0;
  } catch (e) {
    if (e instanceof InputError || e instanceof DataError) {
      err(`ortrain: ${e.message}`);
      return 2;
    }
    err(`ortrain: ${process.env.ORTRAIN_DEBUG ? (e as Error).stack : (e as Error).message ?? String(e)}`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
