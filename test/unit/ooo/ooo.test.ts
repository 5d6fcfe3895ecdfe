import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/clock.js';
import { SEQ_HEADROOM } from '../../../common/index.js';
import { defineOooTopology, PRESENCE_VIEW, readAutomaticReplies } from '../../../processors/ooo/index.js';
import { randomBytes } from 'node:crypto';
import { Keyring, MemoryDataKeyStore, MemoryTenantKeyStore, TenantKeyVault } from '../../../kms/index.js';
import { sealRawSettings } from '../../../records/index.js';
import { TopologyTestDriver } from '../../../runtime/testing/index.js';
import type { PresenceChange, RawMailboxSettings } from '../../../schemas/index.js';
import { DAY, HOUR, T0 } from '../model/fixtures.js';

// A real in-memory keyring: settings are sealed as the connector seals them (bound to source and fetch time).
const keyClock = new ManualClock(T0);
const keyring = new Keyring({
  store: new MemoryDataKeyStore(),
  providers: { cloud: new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock: keyClock }) },
  clock: keyClock,
  options: { reserveBlock: 1024 },
});

function settings(fetchedAt: number, replies: Record<string, unknown>, timeZone = 'UTC'): Promise<RawMailboxSettings> {
  return sealRawSettings(keyring, { tenantId: 'tenant-a', mailboxId: 'user-1', source: 'POLL', fetchedAt, settings: { timeZone, automaticRepliesSetting: replies } });
}
const wall = (ms: number): string => new Date(ms).toISOString().replace('Z', '0000').slice(0, 27);

/** The ooo topology on the real executor (TopologyTestDriver, manual clock), for user-1 of tenant-a. */
class Driver {
  readonly driver = new TopologyTestDriver(defineOooTopology({ keyring }), { clock: new ManualClock(T0) });

  async process(raw: RawMailboxSettings): Promise<void> {
    await this.driver.pipeInput('mailbox.settings.raw.v1', `${raw.tenantId}/${raw.mailboxId}`, raw);
  }

  async advance(ms: number): Promise<void> {
    await this.driver.advanceTime(ms);
  }

  get emitted(): { value: PresenceChange }[] {
    return this.driver.outputs('presence.v1').map((o) => ({ value: o.value as PresenceChange }));
  }
}

const driver = (): Driver => new Driver();
const changes = (d: Driver): [boolean, number | null, number | null][] => d.emitted.map((e) => e.value).map((p) => [p.outOfOffice, p.since, p.until]);

describe('ooo – out-of-office presence from automatic replies', () => {
  it('ooo – accepts any casing of the status (Scheduled, AlwaysEnabled, disabled)', () => {
    expect(readAutomaticReplies({ automaticRepliesSetting: { status: 'AlwaysEnabled' } }).status).toBe('alwaysEnabled');
    expect(readAutomaticReplies({ automaticRepliesSetting: { status: 'Disabled' } }).status).toBe('disabled');
    expect(readAutomaticReplies({ automaticRepliesSetting: { status: 'Scheduled', scheduledStartDateTime: { dateTime: '2026-03-02T08:00:00.0000000', timeZone: 'UTC' }, scheduledEndDateTime: { dateTime: '2026-03-03T08:00:00', timeZone: 'UTC' } } }))
      .toEqual({ status: 'scheduled', start: Date.UTC(2026, 2, 2, 8), end: Date.UTC(2026, 2, 3, 8) });
    expect(() => readAutomaticReplies({ automaticRepliesSetting: { status: 'sometimes' } })).toThrow(/none of disabled/);
  });

  it('ooo – reads a scheduled window in its own time zone (Windows names too), else in the mailbox time zone', () => {
    const pacific = readAutomaticReplies({ timeZone: 'UTC', automaticRepliesSetting: { status: 'scheduled', scheduledStartDateTime: { dateTime: '2026-07-01T09:00:00', timeZone: 'Pacific Standard Time' }, scheduledEndDateTime: { dateTime: '2026-07-02T09:00:00', timeZone: 'Pacific Standard Time' } } });
    expect(pacific.start).toBe(Date.UTC(2026, 6, 1, 16));
    const berlin = readAutomaticReplies({ timeZone: 'Europe/Berlin', automaticRepliesSetting: { status: 'scheduled', scheduledStartDateTime: { dateTime: '2026-01-10T00:00:00' }, scheduledEndDateTime: { dateTime: '2026-01-11T00:00:00' } } });
    expect(berlin.start).toBe(Date.UTC(2026, 0, 9, 23));
  });

  it('ooo – always-on replies switch presence on at once, disabling switches it off', async () => {
    const d = driver();
    await d.process(await settings(T0, { status: 'alwaysEnabled' }));
    await d.process(await settings(T0 + HOUR, { status: 'alwaysEnabled' }));
    await d.process(await settings(T0 + 2 * HOUR, { status: 'disabled' }));
    expect(changes(d)).toEqual([[true, T0, null], [false, null, null]]);
    expect(d.driver.view(PRESENCE_VIEW, 'tenant-a/user-1')).toMatchObject({ v: 2, outOfOffice: false });
  });

  it('ooo – a scheduled window switches on exactly at its start and off exactly at its end', async () => {
    const d = driver();
    const start = T0 + DAY;
    const end = T0 + 3 * DAY;
    await d.process(await settings(T0, { status: 'Scheduled', scheduledStartDateTime: { dateTime: wall(start), timeZone: 'UTC' }, scheduledEndDateTime: { dateTime: wall(end), timeZone: 'UTC' } }));
    expect(changes(d)).toEqual([[false, null, null]]);
    await d.advance(DAY - 1);
    expect(changes(d)).toHaveLength(1);
    await d.advance(1);
    expect(changes(d)[1]).toEqual([true, start, end]);
    expect((d.emitted[1]!.value).updatedAt).toBe(start);
    await d.advance(2 * DAY);
    expect(changes(d)[2]).toEqual([false, null, null]);
    expect((d.emitted[2]!.value).updatedAt).toBe(end);
  });

  it('ooo – editing the window moves its timer; cancelling it drops the timer', async () => {
    const d = driver();
    const replies = (s: number, e: number): Record<string, unknown> => ({ status: 'scheduled', scheduledStartDateTime: { dateTime: wall(s), timeZone: 'UTC' }, scheduledEndDateTime: { dateTime: wall(e), timeZone: 'UTC' } });
    await d.process(await settings(T0, replies(T0 + DAY, T0 + 2 * DAY)));
    await d.process(await settings(T0 + 1, replies(T0 + 2 * DAY, T0 + 3 * DAY)));
    await d.advance(DAY + HOUR);
    expect(changes(d)).toEqual([[false, null, null]]);
    await d.advance(DAY);
    expect(changes(d)[1]).toEqual([true, T0 + 2 * DAY, T0 + 3 * DAY]);
    await d.process(await settings(T0 + 2 * DAY + 2 * HOUR, { status: 'disabled' }));
    expect(changes(d)[2]).toEqual([false, null, null]);
    expect(d.driver.timers('tenant-a/user-1')).toHaveLength(0);
  });

  it('ooo – a user loaded from the store numbers its presence changes above every version its predecessor may have used after that state was written', async () => {
    const d = driver();
    await d.process(await settings(T0, { status: 'alwaysEnabled' }));
    const before = d.emitted.at(-1)!.value.version;
    // Idle and written: dropped from memory; the next setting loads the user from the store.
    await d.advance(HOUR);
    expect(d.driver.passivate()).toBe(1);
    await d.process(await settings(T0 + 2 * HOUR, { status: 'disabled' }));
    const after = d.emitted.at(-1)!.value;
    expect(after.outOfOffice).toBe(false);
    expect(after.version).toBeGreaterThan(before + SEQ_HEADROOM - 1);
    expect(d.driver.view(PRESENCE_VIEW, 'tenant-a/user-1')).toMatchObject({ v: after.version, outOfOffice: false });
  });

  it('ooo – settings fetched earlier than the last applied ones are ignored', async () => {
    const d = driver();
    await d.process(await settings(T0 + HOUR, { status: 'alwaysEnabled' }));
    await d.process(await settings(T0, { status: 'disabled' }));
    expect(changes(d)).toEqual([[true, T0 + HOUR, null]]);
  });
});
