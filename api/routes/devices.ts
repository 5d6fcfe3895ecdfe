import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authorizeDevice, bearerAuth, principalOf, type ApiContext } from '../context.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { Presenter, parseRange } from '../present.js';
import type { DeviceBookingsView } from '../ports.js';
import { DEVICE_ID, INSTANT, JOIN, NULLABLE_STRING, PROVIDER, RANGE_QUERY, TENANT_ID, errorResponses } from '../schemas.js';

const DEVICE_PARAMS = { type: 'object', additionalProperties: false, required: ['tenantId', 'deviceId'], properties: { tenantId: TENANT_ID, deviceId: DEVICE_ID } } as const;

const BOOKING = {
  type: 'object',
  required: ['id', 'start', 'end', 'joinAt', 'isPrivate', 'providerKind', 'version', 'title', 'join'],
  properties: {
    id: { type: 'string' }, start: INSTANT, end: INSTANT, joinAt: { type: ['string', 'null'] }, isPrivate: { type: 'boolean' },
    providerKind: PROVIDER, version: { type: 'integer' }, title: NULLABLE_STRING, join: JOIN,
  },
} as const;

const LAST_EVENT_ID = /^(0|[1-9]\d{0,15})$/;

/** A device's bookings and its OBTP stream (server-sent events; ids are the view's versions). */
export function devicesRoutes(ctx: ApiContext) {
  const presenter = new Presenter(ctx.deps.decryptor);
  const snapshot = async (view: DeviceBookingsView, from: number, to: number) => ({
    version: view.version,
    bookings: await presenter.bookings(view.tenantId, [...view.bookings].filter((b) => b.end > from && b.start < to).sort((a, b) => a.start - b.start)),
  });

  return (app: FastifyInstance): void => {
    app.get<{ Params: { tenantId: string; deviceId: string }; Querystring: { from: string; to: string } }>('/v1/tenants/:tenantId/devices/:deviceId/bookings', {
      preHandler: bearerAuth(ctx),
      schema: {
        summary: "A device's bookings overlapping [from, to)", tags: ['devices'], security: [{ bearer: [] }],
        params: DEVICE_PARAMS, querystring: RANGE_QUERY,
        response: { 200: { type: 'object', required: ['version', 'bookings'], properties: { version: { type: 'integer' }, bookings: { type: 'array', items: BOOKING } } }, ...errorResponses },
      },
    }, async (request) => {
      const { tenantId, deviceId } = request.params;
      const range = parseRange(request.query, ctx.options.maxRangeDays);
      await authorizeDevice(ctx, principalOf(request), tenantId, deviceId);
      const view = await ctx.deps.views.deviceBookings(tenantId, deviceId);
      if (view === undefined) throw new NotFoundError('No bookings are known for this device; check the device id and that its room or user is activated.');
      return snapshot(view, range.from, range.to);
    });

    app.get<{ Params: { tenantId: string; deviceId: string }; Headers: { 'last-event-id'?: string } }>('/v1/tenants/:tenantId/devices/:deviceId/obtp', {
      preHandler: bearerAuth(ctx),
      schema: {
        summary: "A device's OBTP stream (text/event-stream). Each `bookings` event carries the device's bookings from now on, with joinAt (when the Join button shows) and end (when it goes); its id is the view version: reconnect with Last-Event-ID to resume, also across a server restart.",
        tags: ['devices'], security: [{ bearer: [] }], params: DEVICE_PARAMS,
        headers: { type: 'object', properties: { 'last-event-id': { type: 'string', maxLength: 32 } } },
        response: { 200: { description: 'text/event-stream', type: 'string' }, ...errorResponses },
      },
    }, async (request: FastifyRequest<{ Params: { tenantId: string; deviceId: string }; Headers: { 'last-event-id'?: string } }>, reply: FastifyReply) => {
      const { tenantId, deviceId } = request.params;
      const header = request.headers['last-event-id'];
      if (header !== undefined && !LAST_EVENT_ID.test(header)) throw new InvalidInputError('Last-Event-ID must be an event id this stream sent (a non-negative integer).');
      await authorizeDevice(ctx, principalOf(request), tenantId, deviceId);
      let last = header === undefined ? -1 : Number(header);
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      raw.write(`retry: 3000\n\n`);
      let closed = false;
      let timer: NodeJS.Timeout | undefined;
      let wake: (() => void) | undefined;
      request.raw.on('close', () => {
        closed = true;
        if (timer !== undefined) clearTimeout(timer);
        wake?.();
      });
      let sinceKeepAlive = 0;
      while (!closed) {
        try {
          const view = await ctx.deps.views.deviceBookings(tenantId, deviceId);
          if (view !== undefined && view.version > last) {
            const now = ctx.clock.now();
            const data = await snapshot(view, now, now + ctx.options.maxRangeDays * 86_400_000);
            if (closed) break;
            raw.write(`id: ${view.version}\nevent: bookings\ndata: ${JSON.stringify(data)}\n\n`);
            last = view.version;
            sinceKeepAlive = 0;
          } else if (sinceKeepAlive >= ctx.options.streamKeepAliveMs) {
            raw.write(': keep-alive\n\n');
            sinceKeepAlive = 0;
          }
        } catch (error) {
          request.log.warn({ code: (error as { code?: string }).code, deviceId }, 'obtp stream: view read failed; retrying');
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, ctx.options.streamPollMs);
        });
        sinceKeepAlive += ctx.options.streamPollMs;
      }
      raw.end();
    });
  };
}
