import { ManualClock } from '../../../clock.js';
import { NotificationHub, type SubscriptionCaller } from '../../../notifications/index.js';
import type { NotificationTimingsInput } from '../../../notifications/index.js';
import type { Receiver, TestCert } from './receiver.js';

export const TENANT = '0f0e0d0c-0000-4000-8000-00000000000a';
export const OTHER_TENANT = '0f0e0d0c-0000-4000-8000-00000000000b';
export const APP = 'a0a0a0a0-0000-4000-8000-000000000001';
export const OTHER_APP = 'b0b0b0b0-0000-4000-8000-000000000002';
export const ALICE = '11111111-1111-4111-8111-111111111111';
export const BOB = '22222222-2222-4222-8222-222222222222';
export const CAROL = '33333333-3333-4333-8333-333333333333';

const MAILBOXES: Record<string, Record<string, string>> = {
  [TENANT]: { [ALICE]: ALICE, 'alice@contoso.example': ALICE, [BOB]: BOB, 'bob@contoso.example': BOB },
  [OTHER_TENANT]: { [CAROL]: CAROL, 'carol@fabrikam.example': CAROL },
};

export function resolveMailbox(tenantId: string, idOrUpn: string): string | undefined {
  return MAILBOXES[tenantId]?.[idOrUpn.toLowerCase()] ?? MAILBOXES[tenantId]?.[idOrUpn];
}

export const appCaller: SubscriptionCaller = { tenantId: TENANT, appId: APP, scopes: [], roles: ['Calendars.ReadWrite'] };
export const otherAppCaller: SubscriptionCaller = { tenantId: TENANT, appId: OTHER_APP, scopes: [], roles: ['Calendars.Read'] };
export const otherTenantCaller: SubscriptionCaller = { tenantId: OTHER_TENANT, appId: APP, scopes: [], roles: ['Calendars.ReadWrite'] };
export const aliceCaller: SubscriptionCaller = { tenantId: TENANT, appId: APP, userId: ALICE, scopes: ['Calendars.Read', 'User.Read'], roles: [] };
export const bobCaller: SubscriptionCaller = { tenantId: TENANT, appId: APP, userId: BOB, scopes: ['Calendars.ReadWrite'], roles: [] };

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

export function makeHub(clock: ManualClock, cert: TestCert, timings: NotificationTimingsInput = {}): NotificationHub {
  return new NotificationHub({
    clock,
    graphBaseUrl: 'https://127.0.0.1:8443',
    resolveMailbox,
    caCertPem: cert.cert,
    timings: { validationTimeoutMs: 10_000, deliveryTimeoutMs: 5_000, ...timings },
  });
}

export function subscriptionBody(receiver: Receiver, clock: ManualClock, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    changeType: 'created,updated,deleted',
    notificationUrl: receiver.url('/notify'),
    resource: `/users/${ALICE}/events`,
    expirationDateTime: new Date(clock.now() + 2 * HOUR).toISOString(),
    clientState: 'secretClientValue',
    ...overrides,
  };
}

export function newClock(): ManualClock {
  return new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
}
