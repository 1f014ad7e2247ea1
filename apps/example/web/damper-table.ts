// The dampers the page offers (none by default): @ortrain/damping's dampers that need nothing but numbers,
// with the options the form shows and their starting values, those of the digits runs in
// apps/example/src/damped-digits.ts. With a damper, fit takes each update's batch size and lr from it.
import { type BaseDamper, GeoDamp, GeoDampLR, PadaDamp, RadaDamp } from '@ortrain/damping';

export interface DamperChoice {
  /** The class's exported name, as the page lists it. */
  name: string;
  Class: new (options: { datasetSize: number; lr: number } & Record<string, number>) => BaseDamper;
  /** Option name to its value on the form before the user changes it. */
  options: Record<string, number>;
}

const every = { dwell: 1, wait: 0 };

export const DAMPERS: readonly DamperChoice[] = [
  { name: 'PadaDamp', Class: PadaDamp, options: { initialBatchSize: 8, maxBatchSize: 256, growthRate: 0.1, ...every } },
  { name: 'GeoDamp', Class: GeoDamp, options: { initialBatchSize: 8, maxBatchSize: 256, dampingdelay: 2, dampingfactor: 2, ...every } },
  { name: 'GeoDampLR', Class: GeoDampLR, options: { initialBatchSize: 32, dampingdelay: 3, dampingfactor: 2, ...every } },
  { name: 'RadaDamp', Class: RadaDamp, options: { initialBatchSize: 8, maxBatchSize: 256, rho: 0.2, ...every } },
];

/** The table's entry for a name, or a RangeError listing the names it has. */
export function damperChoice(name: string): DamperChoice {
  const found = DAMPERS.find((d) => d.name === name);
  if (!found) throw new RangeError(`damper: unknown damper '${name}' (known: none, ${DAMPERS.map((d) => d.name).join(', ')})`);
  return found;
}
