import Fastify, { type FastifyInstance } from 'fastify';
import type { Clock } from '../../../common/index.js';
import { silentLogger, type Logger } from '../../../common/index.js';
import type { GraphNotification } from '../../../schemas/index.js';
import { clientStateMatches, type SubscriptionLookup } from './subscriptions-index.js';

/** Durably writes accepted notifications (Kafka, acks=all); resolves only once acknowledged. */
export interface NotificationSink {
  send(records: readonly { key: string; value: GraphNotification }[]): Promise<void>;
}

export interface WebhookCounters {
  accepted(n: number): void;
  rejected(reason: 'client-state' | 'unknown-subscription' | 'malformed' | 'rate-limited' | 'too-large' | 'sink-failed', n: number): void;
}

export interface WebhookOptions {
  /** Path of the notification URL (change and lifecycle notifications share it). */
  readonly path: string;
  /** Largest accepted body, bytes (Graph batches at most a few hundred small items). */
  readonly bodyLimitBytes: number;
  /** Requests per second this receiver accepts before answering 429 with Retry-After. */
  readonly maxRequestsPerSecond: number;
  /** Most notifications taken from one request. */
  readonly maxItemsPerRequest: number;
}

export interface WebhookDeps {
  readonly options: WebhookOptions;
  readonly lookup: SubscriptionLookup;
  readonly sink: NotificationSink;
  readonly clock: Clock;
  readonly logger?: Logger;
  readonly counters?: WebhookCounters;
  /** TLS for the listener (Graph only calls HTTPS URLs; a load balancer usually terminates TLS instead). */
  readonly https?: { readonly key: string; readonly cert: string };
}

const LIFECYCLE: Record<string, GraphNotification['lifecycleEvent']> = {
  reauthorizationrequired: 'REAUTHORIZATION_REQUIRED',
  subscriptionremoved: 'SUBSCRIPTION_REMOVED',
  missed: 'MISSED',
};
const CHANGE: Record<string, GraphNotification['changeType']> = { created: 'CREATED', updated: 'UPDATED', deleted: 'DELETED' };

/** A simple token bucket (the receiver is stateless; each instance bounds its own rate). */
class RateBucket {
  #tokens: number;
  #at: number;
  constructor(private readonly rate: number, private readonly clock: Clock) {
    this.#tokens = rate;
    this.#at = clock.now();
  }

  take(): boolean {
    const now = this.clock.now();
    this.#tokens = Math.min(this.rate, this.#tokens + ((now - this.#at) / 1000) * this.rate);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/**
 * The stateless Graph webhook receiver (fastify). A validation request (`?validationToken=`) is
 * answered at once with the decoded token as text/plain. A notification POST is checked item by
 * item: the subscription must be known and its clientState match (constant time); mismatches are
 * counted and dropped, never enqueued. Accepted items (ids only, clientState dropped) are written
 * to `graph.notifications.v1` keyed tenantId/mailboxId, and 202 is answered only after Kafka
 * acknowledged them; a failed write answers 503 so Graph redelivers.
 */
export function buildWebhookApp(deps: WebhookDeps): FastifyInstance {
  const { options, lookup, sink, clock } = deps;
  const logger = deps.logger ?? silentLogger;
  const bucket = new RateBucket(options.maxRequestsPerSecond, clock);
  const app = (deps.https === undefined
    ? Fastify({ logger: false, bodyLimit: options.bodyLimitBytes })
    : Fastify({ logger: false, bodyLimit: options.bodyLimitBytes, https: { key: deps.https.key, cert: deps.https.cert } })) as unknown as FastifyInstance;
  // Graph's validation POST carries text/plain (often empty); keep the body as a string.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((error: { statusCode?: number }, _req, reply) => {
    const status = error.statusCode ?? 500;
    if (status === 413) deps.counters?.rejected('too-large', 1);
    else if (status < 500) deps.counters?.rejected('malformed', 1);
    void reply.code(status).type('text/plain').send(status === 413 ? 'payload too large' : status < 500 ? 'bad request' : 'error');
  });
  app.post<{ Querystring: { validationToken?: string } }>(options.path, async (req, reply) => {
    const token = req.query.validationToken;
    if (token !== undefined) {
      if (token.length > 4096) return reply.code(400).type('text/plain').send('bad validation token');
      return reply.code(200).type('text/plain; charset=utf-8').send(token);
    }
    if (!bucket.take()) {
      deps.counters?.rejected('rate-limited', 1);
      return reply.code(429).header('retry-after', '1').type('text/plain').send('slow down');
    }
    const items = (req.body as { value?: unknown } | undefined)?.value;
    if (!Array.isArray(items) || items.length > options.maxItemsPerRequest) {
      deps.counters?.rejected('malformed', 1);
      return reply.code(400).type('text/plain').send('bad request');
    }
    const receivedAt = clock.now();
    const accepted: { key: string; value: GraphNotification }[] = [];
    for (const raw of items) {
      const item = (raw ?? {}) as Record<string, unknown>;
      const subscriptionId = item['subscriptionId'];
      if (typeof subscriptionId !== 'string' || subscriptionId.length > 128) {
        deps.counters?.rejected('malformed', 1);
        continue;
      }
      const route = await lookup.route(subscriptionId);
      if (route === undefined) {
        deps.counters?.rejected('unknown-subscription', 1);
        continue;
      }
      if (!clientStateMatches(item['clientState'], route.clientStateHash)) {
        deps.counters?.rejected('client-state', 1);
        continue;
      }
      const lifecycle = typeof item['lifecycleEvent'] === 'string' ? item['lifecycleEvent'].toLowerCase() : undefined;
      const resourceData = (item['resourceData'] ?? {}) as Record<string, unknown>;
      const eventId = typeof resourceData['id'] === 'string' ? resourceData['id'] : null;
      const etag = typeof resourceData['@odata.etag'] === 'string' ? resourceData['@odata.etag'] : null;
      const changeType = typeof item['changeType'] === 'string' ? CHANGE[item['changeType'].toLowerCase()] ?? 'OTHER' : 'NONE';
      accepted.push({
        key: `${route.tenantId}/${route.mailboxId}`,
        value: {
          tenantId: route.tenantId, mailboxId: route.mailboxId,
          kind: lifecycle === undefined ? 'CHANGE' : 'LIFECYCLE',
          changeType: lifecycle === undefined ? changeType : 'NONE',
          lifecycleEvent: lifecycle === undefined ? 'NONE' : LIFECYCLE[lifecycle] ?? 'OTHER',
          command: 'NONE', subscriptionId,
          eventId: lifecycle === undefined ? eventId : null,
          changeKey: etag === null ? null : etag.replace(/^W\/"(.*)"$/, '$1'),
          receivedAt,
        },
      });
    }
    if (accepted.length > 0) {
      try {
        await sink.send(accepted);
      } catch (error) {
        deps.counters?.rejected('sink-failed', accepted.length);
        logger.warn({ err: { code: (error as { code?: unknown }).code, name: (error as Error).name }, items: accepted.length }, 'webhook: notifications could not be written to Kafka; answering 503 so Graph redelivers');
        return reply.code(503).header('retry-after', '5').type('text/plain').send('unavailable');
      }
      deps.counters?.accepted(accepted.length);
    }
    return reply.code(202).send();
  });
  return app;
}
