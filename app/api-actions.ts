import { randomUUID } from 'node:crypto';
import { HcError } from '../common/index.js';
import type { ActionResult, CalendarActions, CreateMeetingInput, RespondInput, ScheduleInformation, ScheduleInput } from '../api/index.js';
import type { ProvisioningStore } from '../connectors/graph/index.js';
import type { AppRegistration, GraphAccess, GraphConnections, MongoTokenCacheStore } from '../graph/index.js';

/** Which Graph a mailbox is reached through: its own delegated grant when the user connected, else the tenant's app. */
export interface MailboxGraphResolver {
  graphFor(tenantId: string, mailboxId: string): Promise<GraphAccess>;
}

export interface ConnectorGraphDeps {
  readonly store: ProvisioningStore;
  readonly connections: GraphConnections;
  /** The service's app registration (a tenant may carry its own credential). */
  readonly registration: AppRegistration;
  /** Delegated grants of connected users (partition `tenantId/userId`); absent: application mode only. */
  readonly tokenCache?: MongoTokenCacheStore;
}

/**
 * The mailbox's own authorization mode, decided per call: a user who connected their calendar
 * (a sealed msal cache under `tenantId/userId`) is reached with delegated tokens (`/me`); any other
 * mailbox of a provisioned tenant with the tenant's app credential (`/users/{id}`).
 */
export class ConnectorGraphResolver implements MailboxGraphResolver {
  readonly #d: ConnectorGraphDeps;

  constructor(deps: ConnectorGraphDeps) {
    this.#d = deps;
  }

  async graphFor(tenantId: string, mailboxId: string): Promise<GraphAccess> {
    const partition = `${tenantId}/${mailboxId}`;
    const tenant = await this.#d.store.tenant(tenantId);
    if (this.#d.tokenCache !== undefined && (await this.#d.tokenCache.load(tenantId, partition)) !== undefined) {
      return this.#d.connections.forUser({ tenantId, cloud: tenant?.cloud ?? 'worldwide' }, this.#d.registration, partition);
    }
    const provisioned = await this.#d.store.requireTenant(tenantId);
    const own = await this.#d.store.openCredential(provisioned);
    return this.#d.connections.forTenant({ tenantId, cloud: provisioned.cloud }, own === undefined ? this.#d.registration : { clientId: provisioned.clientId, credential: own });
  }
}

/** A typed Graph failure as the API's refusal (status, Graph's code, the error's own advice). */
function refusal(error: unknown): ActionResult<never> {
  if (!(error instanceof HcError)) throw error;
  const status = typeof error.details['status'] === 'number' ? error.details['status'] : error.retryable ? 503 : 403;
  const graphCode = error.details['graphCode'];
  return { ok: false, status, code: typeof graphCode === 'string' && graphCode !== '' ? graphCode : error.code, message: error.message };
}

async function attempt<T>(run: () => Promise<T>): Promise<ActionResult<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return refusal(error);
  }
}

/**
 * Calendar actions of apps through the shared Graph access library, each with the mailbox's own
 * authorization mode. A meeting created here is written as the user would type it in Outlook
 * (`@webex` stays in the location): write-back decorates it on the normal notification path.
 */
export class GraphCalendarActions implements CalendarActions {
  readonly #graph: MailboxGraphResolver;

  constructor(graph: MailboxGraphResolver) {
    this.#graph = graph;
  }

  respond(tenantId: string, userId: string, eventId: string, input: RespondInput): Promise<ActionResult<null>> {
    return attempt(async () => {
      const graph = await this.#graph.graphFor(tenantId, userId);
      await graph.respondToEvent(userId, eventId, input.response, {
        sendResponse: input.sendResponse,
        ...(input.comment === undefined ? {} : { comment: input.comment }),
        ...(input.proposedNewTime === undefined ? {} : { proposedNewTime: input.proposedNewTime }),
      });
      return null;
    });
  }

  createMeeting(tenantId: string, userId: string, input: CreateMeetingInput): Promise<ActionResult<{ eventId: string }>> {
    return attempt(async () => {
      const graph = await this.#graph.graphFor(tenantId, userId);
      const created = await graph.createEvent(userId, {
        subject: input.subject, start: input.start, end: input.end,
        attendees: input.attendees.map((a) => ({ type: a.type, emailAddress: { address: a.address } })),
        ...(input.location === undefined ? {} : { location: { displayName: input.location } }),
        ...(input.body === undefined ? {} : { body: { contentType: 'text', content: input.body } }),
        ...(input.isOnlineMeeting === true ? { isOnlineMeeting: true, onlineMeetingProvider: 'teamsForBusiness' } : {}),
      }, randomUUID());
      return { eventId: created.id };
    });
  }

  cancelMeeting(tenantId: string, userId: string, eventId: string, comment: string | undefined): Promise<ActionResult<null>> {
    return attempt(async () => {
      await (await this.#graph.graphFor(tenantId, userId)).cancelEvent(userId, eventId, comment);
      return null;
    });
  }

  deleteMeeting(tenantId: string, userId: string, eventId: string): Promise<ActionResult<null>> {
    return attempt(async () => {
      await (await this.#graph.graphFor(tenantId, userId)).deleteEvent(userId, eventId);
      return null;
    });
  }

  getSchedule(tenantId: string, userId: string, input: ScheduleInput): Promise<ActionResult<readonly ScheduleInformation[]>> {
    return attempt(async () => (await this.#graph.graphFor(tenantId, userId)).getSchedule(userId, {
      schedules: input.schedules, startTime: input.start, endTime: input.end, availabilityViewInterval: input.availabilityViewInterval,
    }));
  }
}
