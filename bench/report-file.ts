// BENCHMARKS.md keeps each measured section between markers, so `--only training` updates its own tables
// and leaves the rest (the other section, the prose around them) as it was.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'fs';

const start = (name: string) => `<!-- bench:${name}:start -->`;
const end = (name: string) => `<!-- bench:${name}:end -->`;

/** A placeholder section for a new file. */
export function emptySection(name: string): string {
  return `${start(name)}\n_not measured yet_\n${end(name)}`;
}

/**
 * Replaces the marked sections in `path`; a file that is missing or lacks a section's markers starts over
 * from `template`. Written to a temporary file and renamed, so an interrupted run leaves the old file.
 */
export function updateSections(path: string, template: string, sections: Record<string, string>): void {
  const names = Object.keys(sections);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const hasAll = (t: string) => names.every((n) => t.indexOf(start(n)) >= 0 && t.indexOf(end(n)) > t.indexOf(start(n)));
  let text = hasAll(current) ? current : template;
  if (!hasAll(text)) throw new Error(`updateSections: the template lacks a section of ${names.join(', ')}`);
  for (const [name, body] of Object.entries(sections)) {
    const i = text.indexOf(start(name)), j = text.indexOf(end(name));
    text = text.slice(0, i) + `${start(name)}\n${body.trim()}\n${end(name)}` + text.slice(j + end(name).length);
  }
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
