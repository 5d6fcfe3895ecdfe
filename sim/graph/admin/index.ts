import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Clock } from '../clock.js';
import type { Faults, FaultSettings, OutageAnswer } from '../faults/index.js';
import type { AppRegistration, AppRegistrationInput, IdentityPlatform } from '../identity/index.js';
import { SimGraphError } from '../model.js';
import type { NotificationFaults, NotificationHub, NotificationHubStats } from '../notifications/index.js';
import type { Throttle, ThrottleLimits } from '../throttle/index.js';
import { CallLog, type CallRecord } from './calllog.js';

export { CallLog };
export type { CallRecord };

/**
 * What tests and operators control: app registrations and consent, application access policies,
 * faults, throttle limits, and the log of calls the simulator answered. Also served over HTTP under
 * `/_sim/` on every listener.
 */
export class SimAdmin {
  readonly callLog: CallLog;

  constructor(
    private readonly identity: IdentityPlatform,
    readonly faults: Faults,
    private readonly throttle: Throttle,
    private readonly hub: { current: NotificationHub | undefined },
    private readonly clock: Clock,
    callLog = new CallLog(),
  ) {
    this.callLog = callLog;
  }

  registerApp(input: AppRegistrationInput): AppRegistration {
    return this.identity.directory.registerApp(input);
  }

  /** Admin consent in a tenant: the app's requested permissions, or the given roles/scopes. */
  grantAdminConsent(tenantId: string, appId: string, grant?: { roles?: string[]; scopes?: string[] }): void {
    this.identity.directory.grantAdminConsent(tenantId, appId, grant);
  }

  /** Revokes every grant of the app in the tenant; tokens stop working and subscriptions learn of it. */
  /** Which thumbprint header (`x5t#S256` or `x5t`) the last certificate client assertion used. */
  lastAssertionThumbprint(): 'x5t#S256' | 'x5t' | undefined {
    return this.identity.lastAssertionThumbprint;
  }

  revokeConsent(tenantId: string, appId: string): void {
    this.identity.directory.revokeConsent(tenantId, appId);
    this.hub.current?.onTokenRevoked(tenantId, appId);
  }

  setUserConsentAllowed(tenantId: string, allowed: boolean): void {
    this.identity.directory.setUserConsentAllowed(tenantId, allowed);
  }

  setAdminConsentDenied(tenantId: string, denied: boolean): void {
    this.identity.directory.setAdminConsentDenied(tenantId, denied);
  }

  /** Application access policy limiting the app to these mailboxes (undefined removes it). */
  setAccessPolicy(tenantId: string, appId: string, mailboxIds: readonly string[] | undefined): void {
    this.identity.directory.setAccessPolicy(tenantId, appId, mailboxIds);
  }

  /** Switches faults; a bad notification fault value throws SimGraphError (400) and changes nothing. */
  setFaults(settings: FaultSettings): void {
    if (settings.notifications !== undefined) this.hub.current?.setFaults(settings.notifications);
    this.faults.set(settings);
  }

  /** Notification faults only: drop/duplicate rates, reorder, outage, added latency. */
  setNotificationFaults(faults: Partial<NotificationFaults>): void {
    this.hub.current?.setFaults(faults);
  }

  /** What the notification hub did: subscriptions, queued, delivered, dropped, lifecycle events, endpoints. */
  notificationStats(): NotificationHubStats | undefined {
    return this.hub.current?.stats();
  }

  clearFaults(): void {
    this.faults.clear();
    this.hub.current?.setFaults({ dropRate: 0, duplicateRate: 0, reorder: false, outage: false, extraLatencyMs: 0 });
  }

  setThrottleLimits(limits: Partial<ThrottleLimits>): void {
    this.throttle.setLimits(limits);
  }

  calls(filter?: { since?: number; pathIncludes?: string }): CallRecord[] {
    return this.callLog.list(filter);
  }

  clearCalls(): void {
    this.callLog.clear();
  }

  /** During an outage, how this call fails (logged: 503, or 0 for a reset connection); undefined otherwise. */
  outageAnswer(cloud: string, method: string, url: string, service: 'graph' | 'identity'): OutageAnswer | undefined {
    const answer = this.faults.outageAnswer(service, this.clock.now());
    if (answer !== undefined) this.logIdentityCall(cloud, method, url, answer.kind === 'reset' ? 0 : answer.status);
    return answer;
  }

  logIdentityCall(cloud: string, method: string, url: string, status: number): void {
    this.callLog.add({ at: this.clock.now(), cloud, method, url: url.replace(/([?&](code|client_secret|refresh_token|client_assertion)=)[^&]*/g, '$1[redacted]'), status, requestId: '' });
  }

  registerRoutes(app: FastifyInstance): void {
    const json = (body: unknown) => JSON.stringify(body ?? {});
    const parse = (body: unknown): Record<string, unknown> => {
      if (typeof body !== 'string' || body === '') return {};
      try {
        return JSON.parse(body) as Record<string, unknown>;
      } catch {
        return {};
      }
    };
    app.get('/_sim/health', (_req, reply) => reply.type('application/json').send(json({ status: 'ok' })));
    app.get('/_sim/calls', (_req, reply) => reply.type('application/json').send(json({ value: this.calls() })));
    app.delete('/_sim/calls', (_req, reply) => {
      this.clearCalls();
      return reply.code(204).send();
    });
    const guarded = (reply: FastifyReply, action: () => void): FastifyReply => {
      try {
        action();
        return reply.code(204).send();
      } catch (error) {
        if (!(error instanceof SimGraphError)) throw error;
        return reply.code(400).type('application/json').send(json({ error: { code: error.graphCode, message: error.message } }));
      }
    };
    app.post('/_sim/faults', (req, reply) => guarded(reply, () => this.setFaults(parse(req.body))));
    app.get('/_sim/notifications', (_req, reply) => reply.type('application/json').send(json(this.notificationStats() ?? {})));
    app.post('/_sim/notifications/faults', (req, reply) => guarded(reply, () => this.setNotificationFaults(parse(req.body))));
    app.delete('/_sim/faults', (_req, reply) => {
      this.clearFaults();
      return reply.code(204).send();
    });
    app.post('/_sim/throttle', (req, reply) => {
      this.setThrottleLimits(parse(req.body));
      return reply.code(204).send();
    });
    app.post('/_sim/apps', (req, reply) => {
      const app2 = this.registerApp(parse(req.body) as unknown as AppRegistrationInput);
      return reply.code(201).type('application/json').send(json({ appId: app2.appId }));
    });
    app.post('/_sim/consent', (req, reply) => {
      const b = parse(req.body) as { tenantId?: string; appId?: string; revoke?: boolean };
      if (typeof b.tenantId !== 'string' || typeof b.appId !== 'string') return reply.code(400).send();
      if (b.revoke === true) this.revokeConsent(b.tenantId, b.appId);
      else this.grantAdminConsent(b.tenantId, b.appId);
      return reply.code(204).send();
    });
    app.post('/_sim/accessPolicy', (req, reply) => {
      const b = parse(req.body) as { tenantId?: string; appId?: string; mailboxIds?: string[] | null };
      if (typeof b.tenantId !== 'string' || typeof b.appId !== 'string') return reply.code(400).send();
      this.setAccessPolicy(b.tenantId, b.appId, b.mailboxIds ?? undefined);
      return reply.code(204).send();
    });
  }
}
