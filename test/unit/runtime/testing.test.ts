import { describe, expect, it } from 'vitest';
import { ProcessorTestDriver, type Processor } from '../../../runtime/index.js';

interface Reminder {
  at: number;
}

const reminder: Processor<Reminder, { count: number }> = {
  name: 'reminder',
  process(record, ctx) {
    const state = ctx.state.get() ?? { count: 0 };
    ctx.state.set({ count: state.count + 1 });
    ctx.schedule(record.value.at, { n: state.count + 1 }, 'remind');
    ctx.views.upsert('reminders', ctx.key, state.count + 1, { due: record.value.at });
  },
  onTimer(timer, ctx) {
    ctx.emitRaw('reminders.out', ctx.key, Buffer.from(String(timer.payload['n'])));
  },
};

describe('runtime – processor test driver', () => {
  it('driver – runs a processor with a controllable clock: state, views, a replaced timer firing once', async () => {
    const driver = new ProcessorTestDriver(reminder, { key: 'tenant/mbx' });
    const start = driver.clock.now();
    await driver.process({ at: start + 60_000 });
    await driver.process({ at: start + 120_000 });
    expect(driver.state).toEqual({ count: 2 });
    expect(driver.effects.views.get('reminders/tenant/mbx')).toEqual({ v: 2, doc: { due: start + 120_000 } });
    await driver.advance(90_000);
    expect(driver.effects.emittedRaw).toHaveLength(0);
    await driver.advance(60_000);
    expect(driver.effects.emittedRaw.map((m) => m.value?.toString())).toEqual(['2']);
    expect(driver.clock.now()).toBe(start + 150_000);
  });
});
