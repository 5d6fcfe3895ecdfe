import { Client, GraphError } from '@microsoft/microsoft-graph-client';
import { HcError } from '../common/index.js';
import { GraphSyncResetError, GraphUnavailableError } from './errors.js';
import type { TokenSource } from './auth.js';
import { classifyGraphError } from './classify.js';
import { GraphGovernor, RequestScope, type GovernorDeps } from './governor.js';
import { parseRetryAfter } from './retry.js';

/** Fields the connector reads of an event (notification fetch); delta returns calendarView's set. */
export const EVENT_SELECT: readonly string[] = Object.freeze([
  'id', 'changeKey', 'iCalUId', 'type', 'seriesMasterId', 'originalStart', 'subject', 'body', 'start', 'end',
  'isAllDay', 'isCancelled', 'isOrganizer', 'showAs', 'sensitivity', 'location', 'locations', 'attendees',
  'organizer', 'onlineMeeting', 'onlineMeetingProvider', 'isOnlineMeeting', 'responseStatus', 'recurrence',
  'lastModifiedDateTime', 'categories',
]);

export type GraphEvent = Record<string, unknown> & { id: string };

export interface DeltaPage {
  readonly events: readonly GraphEvent[];
  readonly removedIds: readonly string[];
  readonly nextLink?: string;
  readonly deltaLink?: string;
}

/** What one `$batch` pass over several events found (see `GraphAccess.fetchEventsOnce`). */
export interface EventsBatchResult {
  readonly found: ReadonlyMap<string, GraphEvent>;
  /** 404: gone since the notification. */
  readonly missing: readonly string[];
  /** Answered 429/5xx inside the batch (or not answered): retry after `retryAfterMs`. */
  readonly throttled: readonly string[];
  readonly retryAfterMs?: number;
}

export interface SubscriptionInfo {
  readonly id: string;
  readonly expirationDateTime: string;
}

export interface DomainInfo {
  readonly id: string;
  readonly isDefault: boolean;
  readonly isInitial: boolean;
  readonly isVerified: boolean;
  readonly supportedServices: readonly string[];
}


export type EventResponse = 'accept' | 'tentativelyAccept' | 'decline';

/** Graph's dateTimeTimeZone. */
export interface DateTimeTimeZone {
  readonly dateTime: string;
  readonly timeZone: string;
}

export interface RespondOptions {
  readonly sendResponse: boolean;
  readonly comment?: string;
  readonly proposedNewTime?: { readonly start: DateTimeTimeZone; readonly end: DateTimeTimeZone };
}

export interface ScheduleRequest {
  readonly schedules: readonly string[];
  readonly startTime: DateTimeTimeZone;
  readonly endTime: DateTimeTimeZone;
  readonly availabilityViewInterval: number;
}

export interface ScheduleInfo {
  readonly scheduleId: string;
  readonly availabilityView: string;
  readonly scheduleItems: readonly { readonly status: string; readonly start: DateTimeTimeZone; readonly end: DateTimeTimeZone }[];
  readonly error: { readonly message: string; readonly responseCode: string } | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

function dateTimeTz(value: unknown): DateTimeTimeZone {
  return isRecord(value) ? { dateTime: text(value['dateTime'], ''), timeZone: text(value['timeZone'], 'UTC') } : { dateTime: '', timeZone: 'UTC' };
}

const PREFER_IDS = 'IdType="ImmutableId"';

interface BatchResponse { id: string; status: number; headers?: Record<string, string>; body?: unknown }

/** A batch item's exact `Retry-After` (ms), if it gave one. */
function retryAfterOf(response: BatchResponse): number | undefined {
  const name = Object.keys(response.headers ?? {}).find((h) => h.toLowerCase() === 'retry-after');
  return parseRetryAfter(name === undefined ? undefined : response.headers?.[name], 0);
}

/**
 * Graph for one tenant through one token source (app-only or one connected user), over the
 * official Graph client whose middleware chain is the connector's governor. Every Graph failure
 * comes out as a typed `HcError` (see classify.ts). The only Graph I/O of the connector.
 */
export class GraphAccess {
  readonly #client: Client;
  readonly #tokens: TokenSource;

  constructor(deps: GovernorDeps & { readonly graphBaseUrl: string }) {
    const host = new URL(deps.graphBaseUrl).hostname;
    this.#client = Client.initWithMiddleware({
      middleware: new GraphGovernor(deps),
      baseUrl: deps.graphBaseUrl.replace(/\/?$/, '/'),
      defaultVersion: 'v1.0',
      customHosts: new Set([host]),
    });
    this.#tokens = deps.tokens;
  }

  get mode(): 'application' | 'delegated' {
    return this.#tokens.mode;
  }

  /** `/users/{id}` in application mode, `/me` for a connected user. */
  userPath(mailboxId: string): string {
    return this.#tokens.mode === 'delegated' ? '/me' : `/users/${encodeURIComponent(mailboxId)}`;
  }

  async #call<T>(operation: string, mailboxKey: string, idempotent: boolean, run: (scope: RequestScope) => Promise<T>): Promise<T> {
    const scope = new RequestScope(mailboxKey.toLowerCase(), idempotent);
    try {
      return await run(scope);
    } catch (error) {
      if (scope.failure !== undefined) throw scope.failure;
      if (error instanceof HcError) throw error;
      if (error instanceof GraphError && error.statusCode > 0) {
        throw classifyGraphError(error.statusCode, { code: error.code ?? '', message: error.message, ...(error.requestId === null ? {} : { requestId: error.requestId }) }, operation, scope.retryAfterMs);
      }
      throw new GraphUnavailableError(`${operation} failed before Graph answered; retried with back-off.`, { cause: error instanceof Error ? new Error(error.name) : undefined });
    }
  }

  /** One page of `calendarView/delta`: the first over the window, later ones by next/delta link. */
  async deltaPage(mailboxId: string, from: { window: { start: string; end: string } } | { link: string }, maxPageSize: number): Promise<DeltaPage> {
    return this.#call('calendarView/delta', mailboxId, true, async (scope) => {
      let request = 'link' in from
        ? this.#client.api(from.link)
        : this.#client.api(`${this.userPath(mailboxId)}/calendarView/delta`).query({ startDateTime: from.window.start, endDateTime: from.window.end });
      request = request.header('Prefer', `odata.maxpagesize=${maxPageSize}, ${PREFER_IDS}, outlook.timezone="UTC"`).middlewareOptions([scope]);
      const page = await request.get() as { value?: unknown[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string };
      const events: GraphEvent[] = [];
      const removedIds: string[] = [];
      for (const item of page.value ?? []) {
        const e = item as Record<string, unknown>;
        if (typeof e['id'] !== 'string') continue;
        if (e['@removed'] !== undefined) removedIds.push(e['id']);
        else events.push(e as GraphEvent);
      }
      return {
        events, removedIds,
        ...(page['@odata.nextLink'] === undefined ? {} : { nextLink: page['@odata.nextLink'] }),
        ...(page['@odata.deltaLink'] === undefined ? {} : { deltaLink: page['@odata.deltaLink'] }),
      };
    }).catch((error: unknown) => {
      // Outlook answers an unknown delta token with 410 or a 4xx syncStateNotFound/resyncRequired.
      if (error instanceof HcError && error.code === 'HC_ERR_GRAPH_REQUEST_REJECTED' && /sync/i.test(String(error.details['graphCode'] ?? ''))) {
        throw new GraphSyncResetError('The delta token is no longer valid; a fresh sync round starts.', { cause: error });
      }
      throw error;
    });
  }

  /** The event's current state with only the fields the connector needs. */
  async getEvent(mailboxId: string, eventId: string, select: readonly string[] = EVENT_SELECT): Promise<GraphEvent> {
    return this.#call('event get', mailboxId, true, async (scope) => this.#client
      .api(`${this.userPath(mailboxId)}/events/${encodeURIComponent(eventId)}`)
      .header('Prefer', `${PREFER_IDS}, outlook.timezone="UTC"`)
      .select([...select]).middlewareOptions([scope]).get() as Promise<GraphEvent>);
  }

  /**
   * An event with its change key, the given fields and one single-value extended property
   * (`$expand=singleValueExtendedProperties($filter=id eq '...')`; the id in Graph's format, e.g.
   * `String {guid} Name X`). The property's value is `null` when the event does not carry it.
   */
  async getEventWithProperty(mailboxId: string, eventId: string, select: readonly string[], propertyId: string): Promise<{ event: GraphEvent; etag: string; property: string | null }> {
    return this.#call('event get', mailboxId, true, async (scope) => {
      const event = await this.#client
        .api(`${this.userPath(mailboxId)}/events/${encodeURIComponent(eventId)}`)
        .header('Prefer', `${PREFER_IDS}, outlook.timezone="UTC"`)
        .select([...new Set(['changeKey', ...select])])
        .expand(`singleValueExtendedProperties($filter=id eq '${propertyId.replace(/'/g, "''")}')`)
        .middlewareOptions([scope]).get() as GraphEvent;
      const props = Array.isArray(event['singleValueExtendedProperties']) ? event['singleValueExtendedProperties'] as { id?: unknown; value?: unknown }[] : [];
      const hit = props.find((p) => typeof p.id === 'string' && p.id.toLowerCase() === propertyId.toLowerCase());
      const etag = typeof event['@odata.etag'] === 'string' ? event['@odata.etag'] : `W/"${typeof event['changeKey'] === 'string' ? event['changeKey'] : ''}"`;
      return { event, etag, property: typeof hit?.value === 'string' ? hit.value : null };
    });
  }

  /**
   * PATCH of an event guarded by `If-Match` (the etag or change key read before): a concurrent
   * change answers 412 → `GraphConflictError` (re-read and retry). Retried on 429/5xx like a read:
   * the `If-Match` makes a repeat safe (one that was applied the first time answers 412).
   */
  async patchEventIfMatch(mailboxId: string, eventId: string, etag: string, patch: Record<string, unknown>): Promise<GraphEvent> {
    return this.#call('event patch', mailboxId, true, async (scope) => this.#client
      .api(`${this.userPath(mailboxId)}/events/${encodeURIComponent(eventId)}`)
      .header('Prefer', PREFER_IDS).header('If-Match', etag)
      .middlewareOptions([scope]).patch(patch) as Promise<GraphEvent>);
  }

  /**
   * One pass over several events of a mailbox: `$batch` requests of up to 20 (a single id is a plain
   * GET). Nothing waits here: items a batch answered 429/5xx come back in `throttled` with the
   * longest `Retry-After` among them (exact, ms), so the caller retries them on its own (durable)
   * timer; 404s come back in `missing` (deleted since the notification).
   */
  async fetchEventsOnce(mailboxId: string, eventIds: readonly string[], select: readonly string[] = EVENT_SELECT): Promise<EventsBatchResult> {
    const found = new Map<string, GraphEvent>();
    const missing: string[] = [];
    const throttled: string[] = [];
    let retryAfterMs: number | undefined;
    const unique = [...new Set(eventIds)];
    for (let i = 0; i < unique.length; i += 20) {
      const chunk = unique.slice(i, i + 20);
      if (chunk.length === 1) {
        try {
          found.set(chunk[0]!, await this.getEvent(mailboxId, chunk[0]!, select));
        } catch (error) {
          if (error instanceof HcError && error.code === 'HC_ERR_GRAPH_ITEM_NOT_FOUND') missing.push(chunk[0]!);
          else throw error;
        }
        continue;
      }
      const answered = new Set<string>();
      for (const { id, response } of await this.#batchRead(mailboxId, chunk, select)) {
        answered.add(id);
        if (response.status >= 200 && response.status < 300) {
          found.set(id, response.body as GraphEvent);
        } else if (response.status === 404) {
          missing.push(id);
        } else if (response.status === 429 || response.status >= 500) {
          throttled.push(id);
          const wait = retryAfterOf(response);
          if (wait !== undefined) retryAfterMs = Math.max(retryAfterMs ?? 0, wait);
        } else {
          const e = (response.body as { error?: { code?: string; message?: string } } | undefined)?.error;
          throw classifyGraphError(response.status, { code: e?.code ?? '', message: e?.message ?? '' }, 'event get (batch)');
        }
      }
      for (const id of chunk) if (!answered.has(id)) throttled.push(id);
    }
    return { found, missing, throttled, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }

  /** One JSON `$batch` request reading up to 20 events; the answers by event id. */
  async #batchRead(mailboxId: string, chunk: readonly string[], select: readonly string[]): Promise<{ id: string; response: BatchResponse }[]> {
    const requests = chunk.map((id, n) => ({
      id: String(n), method: 'GET',
      url: `${this.userPath(mailboxId)}/events/${encodeURIComponent(id)}?$select=${select.join(',')}`,
      headers: { Prefer: `${PREFER_IDS}, outlook.timezone="UTC"` },
    }));
    const answer = await this.#call('event batch', mailboxId, true, async (scope) => this.#client
      .api('/$batch').middlewareOptions([scope]).post({ requests }) as Promise<{ responses?: BatchResponse[] }>);
    return (answer.responses ?? []).flatMap((response) => {
      const id = chunk[Number(response.id)];
      return id === undefined ? [] : [{ id, response }];
    });
  }

  async getMailboxSettings(mailboxId: string): Promise<Record<string, unknown>> {
    return this.#call('mailboxSettings', mailboxId, true, async (scope) => this.#client
      .api(`${this.userPath(mailboxId)}/mailboxSettings`).middlewareOptions([scope]).get() as Promise<Record<string, unknown>>);
  }

  /** The user behind a mailbox id or address: object id and whether it resolves at all. */
  async getUser(mailboxIdOrUpn: string): Promise<{ id: string; userPrincipalName?: string; mail?: string }> {
    return this.#call('user get', mailboxIdOrUpn, true, async (scope) => this.#client
      .api(this.#tokens.mode === 'delegated' ? '/me' : `/users/${encodeURIComponent(mailboxIdOrUpn)}`)
      .select(['id', 'userPrincipalName', 'mail']).middlewareOptions([scope]).get() as Promise<{ id: string }>);
  }

  async createEvent(mailboxId: string, event: Record<string, unknown>, transactionId: string): Promise<GraphEvent> {
    return this.#call('event create', mailboxId, true, async (scope) => this.#client
      .api(`${this.userPath(mailboxId)}/events`).header('Prefer', PREFER_IDS).middlewareOptions([scope])
      .post({ ...event, transactionId }) as Promise<GraphEvent>);
  }

  async deleteEvent(mailboxId: string, eventId: string): Promise<void> {
    await this.#call('event delete', mailboxId, true, async (scope) => this.#client
      .api(`${this.userPath(mailboxId)}/events/${encodeURIComponent(eventId)}`).middlewareOptions([scope]).delete() as Promise<unknown>);
  }

  /**
   * An attendee's answer to an invitation (`accept`, `tentativelyAccept`, `decline`), with an optional
   * comment, whether the organizer is told (`sendResponse`) and, for the last two, a proposed new time.
   * Not retried after a sent request (Graph would send the answer twice).
   */
  async respondToEvent(mailboxId: string, eventId: string, response: EventResponse, input: RespondOptions): Promise<void> {
    await this.#call(`event ${response}`, mailboxId, false, async (scope) => this.#client
      .api(`${this.userPath(mailboxId)}/events/${encodeURIComponent(eventId)}/${response}`).middlewareOptions([scope])
      .post({
        sendResponse: input.sendResponse,
        ...(input.comment === undefined ? {} : { comment: input.comment }),
        ...(input.proposedNewTime === undefined ? {} : { proposedNewTime: input.proposedNewTime }),
      }) as Promise<unknown>);
  }

  /** The organizer cancels a meeting (attendees get the cancellation with the comment). */
  async cancelEvent(mailboxId: string, eventId: string, comment?: string): Promise<void> {
    await this.#call('event cancel', mailboxId, false, async (scope) => this.#client
      .api(`${this.userPath(mailboxId)}/events/${encodeURIComponent(eventId)}/cancel`).middlewareOptions([scope])
      .post(comment === undefined ? {} : { comment }) as Promise<unknown>);
  }

  /** Free/busy of people and rooms (`calendar/getSchedule`), times in UTC. */
  async getSchedule(mailboxId: string, input: ScheduleRequest): Promise<ScheduleInfo[]> {
    return this.#call('getSchedule', mailboxId, true, async (scope) => {
      const page = await this.#client.api(`${this.userPath(mailboxId)}/calendar/getSchedule`).header('Prefer', 'outlook.timezone="UTC"').middlewareOptions([scope])
        .post({ schedules: input.schedules, startTime: input.startTime, endTime: input.endTime, availabilityViewInterval: input.availabilityViewInterval }) as { value?: Record<string, unknown>[] };
      return (page.value ?? []).map((s) => ({
        scheduleId: text(s['scheduleId'], ''),
        availabilityView: typeof s['availabilityView'] === 'string' ? s['availabilityView'] : '',
        scheduleItems: (Array.isArray(s['scheduleItems']) ? (s['scheduleItems'] as Record<string, unknown>[]) : []).map((item) => ({
          // Graph writes the status in either casing (`busy`, `Busy`).
          status: text(item['status'], 'unknown').toLowerCase(),
          start: dateTimeTz(item['start']), end: dateTimeTz(item['end']),
        })),
        error: isRecord(s['error']) ? { message: text(s['error']['message'], ''), responseCode: text(s['error']['responseCode'], '') } : null,
      }));
    });
  }

  async createSubscription(mailboxId: string, input: { notificationUrl: string; lifecycleNotificationUrl: string; clientState: string; expirationDateTime: string }): Promise<SubscriptionInfo> {
    const resource = this.#tokens.mode === 'delegated' ? 'me/events' : `users/${mailboxId}/events`;
    return this.#call('subscription create', mailboxId, false, async (scope) => this.#client
      .api('/subscriptions').header('Prefer', PREFER_IDS).middlewareOptions([scope])
      .post({ changeType: 'created,updated,deleted', resource, ...input, latestSupportedTlsVersion: 'v1_2' }) as Promise<SubscriptionInfo>);
  }

  async renewSubscription(mailboxId: string, subscriptionId: string, expirationDateTime: string): Promise<SubscriptionInfo> {
    return this.#call('subscription renew', mailboxId, true, async (scope) => this.#client
      .api(`/subscriptions/${encodeURIComponent(subscriptionId)}`).middlewareOptions([scope])
      .patch({ expirationDateTime }) as Promise<SubscriptionInfo>);
  }

  async reauthorizeSubscription(mailboxId: string, subscriptionId: string): Promise<void> {
    await this.#call('subscription reauthorize', mailboxId, true, async (scope) => this.#client
      .api(`/subscriptions/${encodeURIComponent(subscriptionId)}/reauthorize`).middlewareOptions([scope]).post({}) as Promise<unknown>);
  }

  async deleteSubscription(mailboxId: string, subscriptionId: string): Promise<void> {
    await this.#call('subscription delete', mailboxId, true, async (scope) => this.#client
      .api(`/subscriptions/${encodeURIComponent(subscriptionId)}`).middlewareOptions([scope]).delete() as Promise<unknown>);
  }

  /** The tenant's domains (`GET /domains`), for routing addresses to tenants. */
  async listDomains(): Promise<DomainInfo[]> {
    return this.#call('domains', '_tenant', true, async (scope) => {
      const page = await this.#client.api('/domains').middlewareOptions([scope]).get() as { value?: Record<string, unknown>[] };
      return (page.value ?? []).map((d) => ({
        id: typeof d['id'] === 'string' ? d['id'].toLowerCase() : '',
        isDefault: d['isDefault'] === true,
        isInitial: d['isInitial'] === true,
        isVerified: d['isVerified'] !== false,
        supportedServices: Array.isArray(d['supportedServices']) ? (d['supportedServices'] as unknown[]).map(String) : [],
      }));
    });
  }
}
