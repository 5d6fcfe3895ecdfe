import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full collection (works without --expose-gc): a heap baseline without garbage, or a row of a
 * benchmark that does not pay for the garbage of the row before it.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose_gc');
  (runInNewContext('gc') as () => void)();
}
