import { z } from 'zod';
import { SimConfigError } from '../errors.js';

/**
 * Tunables of the notification hub. Defaults are Graph's documented numbers (graph.md section 4);
 * tests shrink the network time-outs so that a "slow" or "silent" receiver does not cost seconds.
 * Durations are milliseconds; *At* values are simulator (injected clock) time, the network ones
 * (validation, delivery, slow threshold) are real elapsed time of the HTTP exchange.
 */
export const notificationTimingsSchema = z.object({
  validationTimeoutMs: z.number().int().positive().default(10_000)
    .describe('real time the notificationUrl has to answer the validation handshake (Graph: 10 s)'),
  deliveryTimeoutMs: z.number().int().positive().default(3_000)
    .describe('HTTP client time-out of a notification POST (Graph: 3 s)'),
  slowThresholdMs: z.number().int().positive().default(2_900)
    .describe('a POST answered later than this counts as slow (Graph: 2,900 ms)'),
  slowMinSamples: z.number().int().positive().default(100)
    .describe('notifications an endpoint must have received in the window before it is judged (Graph: 100)'),
  slowWindowMs: z.number().int().positive().default(600_000)
    .describe('slow-endpoint statistics are flushed after this long (Graph: 10 min)'),
  slowDelayedRatio: z.number().min(0).max(1).default(0.1)
    .describe('share of slow notifications from which an endpoint is delayed (Graph: 10 %)'),
  slowDroppedRatio: z.number().min(0).max(1).default(0.15)
    .describe('share of slow notifications from which an endpoint loses its notifications (Graph: 15 %)'),
  flaggedDelayMs: z.number().int().nonnegative().default(600_000)
    .describe('delay of notifications and retries of a flagged (slow) endpoint (Graph: 10 min)'),
  retryInitialDelayMs: z.number().int().positive().default(60_000)
    .describe('first retry after a failed delivery; doubles each attempt'),
  retryMaxDelayMs: z.number().int().positive().default(1_800_000)
    .describe('ceiling of the retry delay'),
  retryMaxAgeMs: z.number().int().positive().default(4 * 3_600_000)
    .describe('a notification not delivered after this long is dropped (Graph: 4 hours)'),
  deliveryDelayMs: z.number().int().nonnegative().default(0)
    .describe('base latency between a change and its notification (Graph: < 1 min on average)'),
  maxBatchSize: z.number().int().positive().default(50)
    .describe('notifications carried by one POST at most'),
  maxParallelPosts: z.number().int().positive().default(16)
    .describe('endpoints posted to at the same time'),
  reauthGraceMs: z.number().int().positive().default(3_600_000)
    .describe('after a revoked token, time to reauthorize before the subscription is removed'),
  reauthReminderMs: z.number().int().positive().default(900_000)
    .describe('interval of repeated reauthorizationRequired events (Graph, illustrative: 15 min)'),
  reauthLeadMs: z.number().int().positive().default(3_600_000)
    .describe('reauthorizationRequired events start this long before a subscription expires'),
  pollIntervalMs: z.number().int().positive().default(200)
    .describe('real-time pacing of the background delivery loop'),
  maxSubscriptionsPerMailbox: z.number().int().positive().default(1_000)
    .describe('active subscriptions per mailbox across all apps (Outlook: 1,000)'),
  seed: z.number().int().default(1)
    .describe('seed of the fault injector (drop, duplicate, reorder)'),
});

export type NotificationTimingsInput = z.input<typeof notificationTimingsSchema>;
export type NotificationTimings = Readonly<z.output<typeof notificationTimingsSchema>>;

/** Validates once, names the bad key, freezes the result. */
export function compileTimings(input: NotificationTimingsInput = {}): NotificationTimings {
  const parsed = notificationTimingsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.join('.') ?? '?';
    throw new SimConfigError(`sim graph notifications: option "${key}" is invalid (${issue?.message ?? 'bad value'}); fix or remove it.`, {
      details: { key },
    });
  }
  if (parsed.data.slowDroppedRatio < parsed.data.slowDelayedRatio) {
    throw new SimConfigError('sim graph notifications: option "slowDroppedRatio" must not be below "slowDelayedRatio".', {
      details: { key: 'slowDroppedRatio' },
    });
  }
  return Object.freeze({ ...parsed.data });
}
