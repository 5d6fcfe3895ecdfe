import { describe, expect, it } from 'vitest';
import { defineTopology, type Processor } from '../../../runtime/index.js';
import { TopologyTestDriver } from '../../../runtime/testing/index.js';

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

const topology = defineTopology({ name: 'reminders', inputs: [{ topic: 'reminders.in' }], stages: [reminder] });

describe('runtime – topology test driver', () => {
  it('driver – runs a processor with a controllable clock: state, views, a replaced timer firing once', async () => {
    const driver = new TopologyTestDriver(topology);
    const start = driver.clock.now();
    await driver.pipeInput('reminders.in', 'tenant/mbx', { at: start + 60_000 });
    await driver.pipeInput('reminders.in', 'tenant/mbx', { at: start + 120_000 });
    expect(driver.state('tenant/mbx', 'reminder')).toEqual({ count: 2 });
    expect(driver.view('reminders', 'tenant/mbx')).toEqual({ _id: 'tenant/mbx', v: 2, due: start + 120_000 });
    expect(driver.timers('tenant/mbx').map((t) => t.due)).toEqual([start + 120_000]);
    await driver.advanceTime(90_000);
    expect(driver.outputs('reminders.out')).toHaveLength(0);
    await driver.advanceTime(60_000);
    expect(driver.outputs('reminders.out').map((m) => m.bytes?.toString())).toEqual(['2']);
    expect(driver.timers('tenant/mbx')).toEqual([]);
    expect(driver.clock.now()).toBe(start + 150_000);
  });
});
