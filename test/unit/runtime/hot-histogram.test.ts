import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HotHistogram, RuntimeMetrics } from '../../../runtime/index.js';

const BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

/** The same observations into prom-client's Histogram and a HotHistogram, each in a registry of its own. */
function both(observations: readonly { stage: string; value: number; child: boolean }[]) {
  const reference = new Registry();
  const hot = new Registry();
  const a = new Histogram({ name: 'h_seconds', help: 'help text', labelNames: ['processor'], buckets: BUCKETS, registers: [reference] });
  const b = new HotHistogram({ name: 'h_seconds', help: 'help text', labelNames: ['processor'], buckets: BUCKETS, registers: [hot] });
  const children = new Map<string, { observe(v: number): void }>();
  for (const o of observations) {
    if (o.child) {
      if (!children.has(o.stage)) children.set(o.stage, b.labels({ processor: o.stage }));
      children.get(o.stage)!.observe(o.value);
      a.labels({ processor: o.stage }).observe(o.value);
    } else {
      a.observe({ processor: o.stage }, o.value);
      b.observe({ processor: o.stage }, o.value);
    }
  }
  return { reference, hot, b };
}

describe('runtime hot histogram', () => {
  it('hot histogram – prints and reports exactly what prom-client’s Histogram does for the same observations (bounds, +Inf, sums, series order)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ stage: fc.constantFrom('parse', 'encrypt', 'obtp'), value: fc.oneof(fc.constantFrom(0, 0.0005, 0.001, 5, 7), fc.double({ min: 0, max: 10, noNaN: true })), child: fc.boolean() }), { maxLength: 60 }),
      async (observations) => {
        const { reference, hot } = both(observations);
        expect(await hot.metrics()).toBe(await reference.metrics());
        expect(JSON.parse(JSON.stringify(await hot.getMetricsAsJSON()))).toEqual(JSON.parse(JSON.stringify(await reference.getMetricsAsJSON())));
      },
    ), { numRuns: 200 });
  });

  it('hot histogram – a child shows no series before its first observation; reset empties it; bad values and labels are refused', async () => {
    const { hot, b } = both([]);
    const child = b.labels({ processor: 'idle' });
    expect(await hot.metrics()).not.toContain('processor="idle"');
    child.observe(0.002);
    expect(await hot.metrics()).toContain('h_seconds_bucket{le="0.005",processor="idle"} 1');
    b.reset();
    expect(await hot.metrics()).not.toContain('processor="idle"');
    expect(() => b.observe({ processor: 'x' }, Number.NaN)).toThrow(TypeError);
    expect(() => b.observe({ processor: 'x', other: 'y' } as never, 1)).toThrow(/unknown label other/);
    expect(() => new HotHistogram({ name: 'bad', help: 'h', labelNames: [], buckets: [1, 0.5], registers: [] })).toThrow(RangeError);
  });

  it("hot histogram – the runtime's per-record histograms keep their names in the runtime's metrics text", async () => {
    const metrics = new RuntimeMetrics();
    metrics.processSeconds.labels({ processor: 'keep' }).observe(0.0001);
    metrics.recordLatencySeconds.observe({ topology: 'ledger' }, 0.02);
    const text = await metrics.text();
    expect(text).toContain('# TYPE hycal_runtime_process_seconds histogram');
    expect(text).toContain('hycal_runtime_process_seconds_bucket{le="0.0005",processor="keep"} 1');
    expect(text).toContain('hycal_runtime_record_latency_seconds_count{topology="ledger"} 1');
  });

  it('record counter – counts of a per-record child reach the text, the JSON and get() whenever they are read, added to direct increments of the same series', async () => {
    const metrics = new RuntimeMetrics();
    const processed = metrics.recordCounter({ topology: 'ledger', outcome: 'processed' });
    const again = metrics.recordCounter({ topology: 'ledger', outcome: 'processed' });
    expect(await metrics.text()).not.toContain('outcome="processed"');
    for (let i = 0; i < 5; i += 1) processed.inc();
    again.inc();
    metrics.records.inc({ topology: 'ledger', outcome: 'processed' }, 2);
    metrics.records.inc({ topology: 'ledger', outcome: 'dead_lettered' });
    expect(await metrics.text()).toContain('hycal_runtime_records_total{topology="ledger",outcome="processed"} 8');
    processed.inc();
    const json = await metrics.registry.getMetricsAsJSON();
    const series = json.find((m) => m.name === 'hycal_runtime_records_total')!.values;
    expect(series).toContainEqual(expect.objectContaining({ labels: { topology: 'ledger', outcome: 'processed' }, value: 9 }));
    expect(series).toContainEqual(expect.objectContaining({ labels: { topology: 'ledger', outcome: 'dead_lettered' }, value: 1 }));
    processed.inc();
    expect((await metrics.records.get()).values.find((v) => v.labels['outcome'] === 'processed')?.value).toBe(10);
  });
});
