import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { ManualClock } from '../../../common/clock.js';
import { createLogger } from '../../../common/index.js';
import { Keyring, MemoryDataKeyStore, MemoryTenantKeyStore, TenantKeyVault } from '../../../kms/index.js';
import {
  MemoryCalendarActions, MemoryConnections, MemoryProvisioning, MemorySettings, MemoryStateStore, MemoryViews, TokenService, buildApi,
  type ApiOptionsInput, type BookingViewEntry, type MeetingViewEntry, type PrincipalKind,
} from '../../../api/index.js';
import { hashOf } from '../../../api/session.js';
import { CARD_FIELD, cardPlaintext } from '../../../schemas/index.js';

export const ORG_A = 'org-a';
export const ORG_B = 'org-b';
export const TENANT_A = '11111111-1111-4111-8111-111111111111';
export const TENANT_A2 = '22222222-2222-4222-8222-222222222222';
export const TENANT_B = '33333333-3333-4333-8333-333333333333';
export const USER_1 = 'user-1';
export const USER_2 = 'user-2';
export const DEVICE_1 = 'device-1';
export const DEVICE_2 = 'device-2';
export const DAY = 86_400_000;
export const T0 = Date.UTC(2026, 0, 5, 9, 0, 0);

export function baseOptions(extra: Partial<ApiOptionsInput> = {}): ApiOptionsInput {
  return {
    publicBaseUrl: 'http://127.0.0.1:3000',
    cookieSecret: 'x'.repeat(40),
    oidc: { authorityUrl: 'https://login.example.test', clientId: 'client-id', clientSecret: 'client-secret' },
    ...extra,
  };
}

/** Captures log lines so tests can check that no secret was logged. */
export class LogLines {
  readonly lines: string[] = [];
  readonly stream = new Writable({ write: (chunk: Buffer, _enc, done) => { this.lines.push(chunk.toString('utf8')); done(); } });
  text(): string {
    return this.lines.join('');
  }
}

export interface Fixture {
  app: FastifyInstance;
  clock: ManualClock;
  keyring: Keyring;
  views: MemoryViews;
  state: MemoryStateStore;
  provisioning: MemoryProvisioning;
  connections: MemoryConnections;
  settings: MemorySettings;
  actions: MemoryCalendarActions;
  tokens: TokenService;
  logs: LogLines;
  token(kind: PrincipalKind, tenantId: string | null, subject: string, orgId?: string, ttlMs?: number): Promise<string>;
  meeting(tenantId: string, mailboxId: string, meetingId: string, start: number, end: number, sensitive: { subject: string; location?: string; join?: string; isPrivate?: boolean }): Promise<MeetingViewEntry>;
  /** The same entry as the materializer stores it from a value with a card: the four list fields sealed together, none on their own. */
  withCard(entry: MeetingViewEntry, tenantId: string, sensitive: { subject: string; location?: string; join?: string }): Promise<MeetingViewEntry>;
  booking(tenantId: string, mailboxId: string, meetingId: string, start: number, sensitive: { subject: string; join?: string; isPrivate?: boolean }): Promise<BookingViewEntry>;
  sessionCookie(role: 'admin' | 'user', tenantId: string, userId: string, orgId?: string): Promise<{ cookie: string; csrf: string }>;
  close(): Promise<void>;
}

export async function makeFixture(extra: Partial<ApiOptionsInput> = {}, rebuild?: { state: MemoryStateStore; views: MemoryViews; keyring: Keyring; clock: ManualClock }): Promise<Fixture> {
  const clock = rebuild?.clock ?? new ManualClock(T0);
  const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock });
  const keyring = rebuild?.keyring ?? new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: vault }, clock });
  const views = rebuild?.views ?? new MemoryViews();
  const state = rebuild?.state ?? new MemoryStateStore();
  const provisioning = new MemoryProvisioning({
    orgs: [{ orgId: ORG_A, admins: ['admin@a.example'], homeTenantId: TENANT_A }, { orgId: ORG_B, admins: ['admin@b.example'], homeTenantId: TENANT_B }],
    consent: { authorityUrl: 'https://login.example.test', clientId: 'client-id' },
  });
  provisioning.addTenant(ORG_A, { tenantId: TENANT_A, displayName: 'Contoso', state: 'authorised', reason: null, domains: ['a.example'] });
  provisioning.addTenant(ORG_A, { tenantId: TENANT_A2, displayName: 'Contoso EU', state: 'needs-reauthorisation', reason: 'Consent was revoked; run the setup again.', domains: ['eu.a.example'] });
  provisioning.addTenant(ORG_B, { tenantId: TENANT_B, displayName: 'Fabrikam', state: 'authorised', reason: null, domains: ['b.example'] });
  const connections = new MemoryConnections();
  const settings = new MemorySettings();
  const actions = new MemoryCalendarActions();
  const logs = new LogLines();
  const logger = createLogger({ name: 'api-test', level: 'debug', destination: logs.stream });
  const app = await buildApi(baseOptions(extra), { views, decryptor: keyring, provisioning, connections, settings, actions, state }, { clock, logger });
  const tokens = new TokenService(state, clock);
  const enc = async (tenantId: string, mailboxId: string, meetingId: string, field: string, text: string | undefined) =>
    text === undefined ? null : keyring.encryptField({ tenantId, recordKey: `${tenantId}/${mailboxId}`, entityId: meetingId, field }, Buffer.from(text));
  const join = (url: string | undefined) => (url === undefined ? undefined : JSON.stringify({ provider: 'WEBEX', url, sipUri: null, meetingNumber: null, foundIn: 'location' }));
  return {
    app, clock, keyring, views, state, provisioning, connections, settings, actions, tokens, logs,
    async token(kind, tenantId, subject, orgId = ORG_A, ttlMs = 30 * DAY) {
      return (await tokens.issue({ orgId, kind, tenantId, subject, ttlMs })).token;
    },
    async meeting(tenantId, mailboxId, meetingId, start, end, s) {
      return {
        meetingId, mailboxId, start, end, isAllDay: false, isCancelled: false, isPrivate: s.isPrivate ?? false, showAs: 'BUSY', providerKind: s.join === undefined ? 'NONE' : 'WEBEX',
        attendeeCount: 3, version: 1,
        subject: await enc(tenantId, mailboxId, meetingId, 'subject', s.subject), location: await enc(tenantId, mailboxId, meetingId, 'location', s.location),
        organizer: await enc(tenantId, mailboxId, meetingId, 'organizer', JSON.stringify({ name: 'Org A', address: 'organizer@a.example' })),
        joinDetails: await enc(tenantId, mailboxId, meetingId, 'joinDetails', join(s.join)),
      };
    },
    async withCard(entry, tenantId, s) {
      const plaintext = cardPlaintext({
        subject: s.subject, location: s.location ?? null, organizer: { name: 'Org A', address: 'organizer@a.example' },
        joinDetails: s.join === undefined ? null : { provider: 'WEBEX', url: s.join, sipUri: null, meetingNumber: null, foundIn: 'location' },
      });
      const card = await keyring.encryptField({ tenantId, recordKey: `${tenantId}/${entry.mailboxId}`, entityId: entry.meetingId, field: CARD_FIELD }, plaintext);
      return { ...entry, subject: null, location: null, organizer: null, joinDetails: null, card };
    },
    async booking(tenantId, mailboxId, meetingId, start, s) {
      const shared = s.isPrivate === true;
      return {
        bookingId: meetingId, mailboxId, meetingId, start, end: start + 3_600_000, joinAt: start - 300_000, isPrivate: shared, providerKind: 'WEBEX', version: 1,
        title: shared ? null : await enc(tenantId, mailboxId, meetingId, 'subject', s.subject),
        joinDetails: shared ? null : await enc(tenantId, mailboxId, meetingId, 'joinDetails', join(s.join)),
      };
    },
    async sessionCookie(role, tenantId, userId, orgId = ORG_A) {
      const id = randomBytes(32).toString('base64url');
      const csrf = randomBytes(24).toString('base64url');
      await state.put(`session:${hashOf(id)}`, { role, orgId, tenantId, userId, username: `${userId}@a.example`, name: userId, csrf, expiresAt: clock.now() + DAY });
      return { cookie: `hc_session=${app.signCookie(id)}`, csrf };
    },
    close: () => app.close(),
  };
}
