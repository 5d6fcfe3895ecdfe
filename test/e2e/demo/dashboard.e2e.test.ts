import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../common/index.js';
import { DemoBoard, startDashboard } from '../../../demo/index.js';
import type { DeviceBookingEvent, MeetingOccurrence } from '../../../schemas/index.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, 'artifacts');
const T0 = Date.UTC(2026, 11, 3, 9, 0);

function booking(over: Partial<DeviceBookingEvent>): DeviceBookingEvent {
  return {
    deviceId: 'room-1', tenantId: 't1', bookingId: 'b1', action: 'BOOKING_UPSERT', start: T0 + 240_000, end: T0 + 3_600_000, isPrivate: false,
    providerKind: 'WEBEX', version: 1, keyRef: null, title: null, joinDetails: Buffer.from([1]), emittedAt: T0, joinAt: null, mailboxId: null, ...over,
  };
}

function meeting(over: Partial<MeetingOccurrence>): MeetingOccurrence {
  return {
    tenantId: 't1', mailboxId: 'alice', meetingId: 'm1', seriesMasterId: null, version: 1, op: 'UPSERT', start: T0 + 240_000, end: T0 + 3_600_000,
    isAllDay: false, isCancelled: false, isPrivate: false, isOrganizer: true, showAs: 'BUSY', providerKind: 'NONE', intent: { provider: 'WEBEX', modifier: 'NONE' },
    attendeeCount: 3, roomMailboxIds: [], keyRef: { keyId: 'k', version: 1 }, subject: Buffer.from('x'), body: null, location: null, organizer: null, attendees: null,
    joinDetails: null, sourceFetchedAt: T0, responseStatus: 'ORGANIZER', ...over,
  };
}

describe('demo dashboard in a browser (chromium)', () => {
  let browser: BrowserContext;
  let userDir: string;
  const board = new DemoBoard(new ManualClock(T0));
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium".`);
    mkdirSync(ARTIFACTS, { recursive: true });
    const dashboard = await startDashboard({ board, port: 0, pushEveryMs: 100 });
    url = dashboard.url;
    close = () => dashboard.app.close();
    userDir = mkdtempSync(join(tmpdir(), 'hycal-chromium-'));
    browser = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await close?.();
    rmSync(userDir, { recursive: true, force: true });
  });

  it('demo dashboard – shows a meeting list filling, a Join button appearing and going, and presence switching, live', async () => {
    const page = browser.pages()[0] ?? (await browser.newPage());
    await page.goto(url);
    await expect.poll(() => page.textContent('#devices')).toContain('No device bookings yet');
    board.apply('calendar.meetings.v1', meeting({}));
    board.apply('obtp.devices.v1', booking({}));
    await page.locator('[data-device="room-1"]').waitFor();
    expect(await page.locator('[data-device="room-1"] .join').isHidden()).toBe(true);
    board.apply('obtp.devices.v1', booking({ action: 'JOIN_SHOW', version: 2 }));
    board.apply('presence.v1', { tenantId: 't1', userId: 'alice', outOfOffice: true, since: T0, until: null, version: 1, updatedAt: T0 });
    await page.locator('[data-device="room-1"] .join').waitFor({ state: 'visible' });
    await expect.poll(() => page.textContent('#users')).toContain('OOO');
    expect(await page.locator('#users .bar.keyword').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png') });
    board.apply('obtp.devices.v1', booking({ action: 'JOIN_EXPIRE', version: 3 }));
    await page.locator('[data-device="room-1"] .join').waitFor({ state: 'hidden' });
    expect(await page.textContent('#recent')).toContain('Join button shown');
  });
});
