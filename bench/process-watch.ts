import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/**
 * Busy CPU time of the whole machine so far (ms, every process and core: /proc/stat's first line
 * less idle and iowait), or null where there is no /proc/stat. The difference of two readings over
 * a phase is what the phase cost the machine, the store and the broker included.
 */
export function machineBusyMs(): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0] = fields;
    // In USER_HZ ticks, 100 a second on Linux.
    return ((user + nice + system + irq + softirq) * 1_000) / 100;
  } catch {
    return null;
  }
}

/** What this process and the machine did while a watch ran. */
export interface ProcessWatch {
  readonly seconds: number;
  /** This process's CPU (user + system, every thread of it). */
  readonly cpuMs: number;
  /** The whole machine's busy CPU (every process), or null where there is no /proc/stat. */
  readonly machineBusyMs: number | null;
  /** Event loop delay (ms): how late the sampling timer ran, p99 and longest. */
  readonly loopDelay: { readonly p99: number; readonly max: number };
  readonly gc: { readonly totalMs: number; readonly longestMs: number };
}

/**
 * Watches this process from now until `stop()`: its CPU, the machine's, its event loop delay and
 * its garbage-collection pauses. Where a latency's tail comes from: a blocked event loop (long
 * synchronous work, GC) or a machine without CPU to spare.
 */
export function watchProcess(options: { readonly loopResolutionMs?: number } = {}): { stop(): ProcessWatch } {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const busy = machineBusyMs();
  const delay = monitorEventLoopDelay({ resolution: options.loopResolutionMs ?? 10 });
  delay.enable();
  const gc = { totalMs: 0, longestMs: 0 };
  const gcs = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.totalMs += entry.duration;
      gc.longestMs = Math.max(gc.longestMs, entry.duration);
    }
  });
  gcs.observe({ entryTypes: ['gc'] });
  return {
    stop(): ProcessWatch {
      const used = process.cpuUsage(cpu);
      const busyNow = machineBusyMs();
      delay.disable();
      gcs.disconnect();
      return {
        seconds: (performance.now() - started) / 1_000,
        cpuMs: (used.user + used.system) / 1_000,
        machineBusyMs: busy === null || busyNow === null ? null : busyNow - busy,
        loopDelay: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 },
        gc: { ...gc },
      };
    },
  };
}

/** "event loop delay p99 … / max … ms, GC … ms (longest pause … ms)". */
export function loopAndGcText(w: Pick<ProcessWatch, 'loopDelay' | 'gc'>): string {
  return `event loop delay p99 ${w.loopDelay.p99.toFixed(1)} / max ${w.loopDelay.max.toFixed(1)} ms, GC ${w.gc.totalMs.toFixed(0)} ms (longest pause ${w.gc.longestMs.toFixed(1)} ms)`;
}

/** The cores a watch kept busy: this process's and the machine's. */
export function coresText(w: ProcessWatch, process = 'this process'): string {
  const machine = w.machineBusyMs === null ? 'machine not measured (no /proc/stat)' : `machine ${(w.machineBusyMs / 1_000 / w.seconds).toFixed(2)} of ${availableParallelism()}`;
  return `cores busy: ${process} ${(w.cpuMs / 1_000 / w.seconds).toFixed(2)}, ${machine}`;
}
