import { setTimeout as sleep } from 'node:timers/promises';
import { WorkAbandonedError } from './errors.js';

const REASON = 'Partition revoked or worker stopping.';

/** Waits `ms`, or rejects with WorkAbandonedError as soon as `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new WorkAbandonedError(REASON));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new WorkAbandonedError(REASON));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles like `promise`, or rejects with WorkAbandonedError as soon as `signal` aborts. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new WorkAbandonedError(REASON));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new WorkAbandonedError(REASON));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Resolves true when `promise` settles, false after `ms` (an unref'd timer: never keeps the process up). */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

/**
 * Resolves after `ms`: the bound on a wait while stopping or giving work up (drains, the last
 * writes, leaving the group). Its timer does not keep the process alive: once everything it
 * bounds has ended, the process exits at once, not when the longest bound runs out (every stop
 * of every runtime left a referenced `drainTimeoutMs + 5 s` timer behind, and `hycal demo` and
 * `hycal serve` took 20 s to exit after saying they had stopped).
 */
export function graceBound(ms: number): Promise<void> {
  return sleep(ms, undefined, { ref: false });
}
