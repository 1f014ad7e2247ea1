/**
 * Imports a module that may not exist yet (or may lack the named exports) and says why not instead of
 * throwing, so one missing contestant does not stop the benchmark. The specifier is a variable on purpose:
 * the type checker must not require the module to exist.
 */
export async function optionalImport<T>(specifier: string, exportNames: string[]): Promise<T | string> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return `not available (${specifier} does not load: ${message})`;
  }
  const missing = exportNames.filter((name) => mod[name] === undefined);
  if (missing.length > 0) return `not available (${specifier} has no ${missing.join(', ')} yet)`;
  return mod as T;
}
