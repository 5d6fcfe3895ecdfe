/* eslint-disable @typescript-eslint/no-explicit-any */
import { request } from 'node:https';
import { startGraphSimulator, type GraphSimulator, type GraphSimulatorOptions } from '../../index.js';

export const TENANT = '7d3b7e6c-1f4a-4a38-9a5e-2c7c1d0a1b01';
export const APP = '5b1f0d7e-8c1a-4a6e-9f0d-3e2b1c4d5a01';
export const SECRET = 'sim-secret-value';
export const ALICE = '0a0a0a0a-0000-4000-8000-000000000001';
export const BOB = '0a0a0a0a-0000-4000-8000-000000000002';
export const ROOM = '0a0a0a0a-0000-4000-8000-000000000003';
export const REDIRECT = 'https://localhost/callback';

export async function startSeeded(options: GraphSimulatorOptions = {}): Promise<GraphSimulator> {
  const sim = await startGraphSimulator({ clouds: ['worldwide'], ...options });
  const s = sim.store;
  s.addTenant({ id: TENANT, displayName: 'Contoso', cloud: 'worldwide', domains: [{ id: 'contoso.com', isDefault: true, isInitial: false }, { id: 'contoso.onmicrosoft.com', isDefault: false, isInitial: true }] });
  s.addMailbox(TENANT, { id: ALICE, userPrincipalName: 'alice@contoso.com', displayName: 'Alice Adams', mail: 'alice@contoso.com', kind: 'user', mailboxEnabled: true, mailboxSettings: { timeZone: 'Pacific Standard Time' } });
  s.addMailbox(TENANT, { id: BOB, userPrincipalName: 'bob@contoso.com', displayName: 'Bob Brown', mail: 'bob@contoso.com', kind: 'user', mailboxEnabled: true, mailboxSettings: {} });
  s.addMailbox(TENANT, { id: ROOM, userPrincipalName: 'room1@contoso.com', displayName: 'Room One', mail: 'room1@contoso.com', kind: 'room', mailboxEnabled: true, mailboxSettings: {} });
  s.addMailbox(TENANT, { id: '0a0a0a0a-0000-4000-8000-000000000004', userPrincipalName: 'guest@contoso.com', displayName: 'Guest', mail: 'guest@contoso.com', kind: 'user', mailboxEnabled: false, mailboxSettings: {} });
  sim.admin.registerApp({
    appId: APP, displayName: 'Hybrid Calendar', homeTenantId: TENANT, secrets: [SECRET], redirectUris: [REDIRECT],
    applicationPermissions: ['Calendars.ReadWrite', 'MailboxSettings.ReadWrite', 'User.Read.All', 'Domain.Read.All'],
    delegatedPermissions: ['Calendars.ReadWrite', 'MailboxSettings.ReadWrite', 'User.Read'],
  });
  sim.admin.grantAdminConsent(TENANT, APP);
  return sim;
}

export interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: any; text: string }

export function call(sim: GraphSimulator, method: string, url: string, options: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {}): Promise<Reply> {
  const full = url.startsWith('https://') ? url : `${sim.graphBaseUrl}${url}`;
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const req = request(full, {
      method, ca: sim.caCertPem,
      headers: {
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown;
        try {
          body = text === '' ? undefined : JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text });
      });
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

export async function appToken(sim: GraphSimulator, form: Record<string, string> = {}): Promise<string> {
  const res = await postForm(sim, `/${TENANT}/oauth2/v2.0/token`, { grant_type: 'client_credentials', client_id: APP, client_secret: SECRET, scope: 'https://graph.microsoft.com/.default', ...form });
  if (res.status !== 200) throw new Error(`token failed: ${res.text}`);
  return res.body.access_token as string;
}

export function postForm(sim: GraphSimulator, path: string, form: Record<string, string>): Promise<Reply> {
  return call(sim, 'POST', path, { raw: new URLSearchParams(form).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}
