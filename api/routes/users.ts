import type { FastifyInstance } from 'fastify';
import { authorizeUser, bearerAuth, principalOf, type ApiContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import { Presenter, iso, parseRange } from '../present.js';
import { ERROR_BODY, INSTANT, JOIN, NULLABLE_STRING, PROVIDER, RANGE_QUERY, TENANT_ID, USER_ID, errorResponses } from '../schemas.js';

const USER_PARAMS = { type: 'object', additionalProperties: false, required: ['tenantId', 'userId'], properties: { tenantId: TENANT_ID, userId: USER_ID } } as const;

const MEETING = {
  type: 'object',
  required: ['id', 'start', 'end', 'isAllDay', 'isCancelled', 'isPrivate', 'showAs', 'providerKind', 'attendeeCount', 'version', 'subject', 'location', 'organizer', 'join'],
  properties: {
    id: { type: 'string' }, start: INSTANT, end: INSTANT, isAllDay: { type: 'boolean' }, isCancelled: { type: 'boolean' }, isPrivate: { type: 'boolean' },
    showAs: { type: 'string', enum: ['FREE', 'TENTATIVE', 'BUSY', 'OOF', 'WORKING_ELSEWHERE', 'UNKNOWN'] }, providerKind: PROVIDER,
    attendeeCount: { type: ['integer', 'null'] }, version: { type: 'integer' }, subject: NULLABLE_STRING, location: NULLABLE_STRING,
    organizer: { type: ['object', 'null'], required: ['name', 'address'], properties: { name: NULLABLE_STRING, address: { type: 'string' } } },
    join: JOIN,
  },
} as const;

/** A user's meeting list and presence (views read by _id; fields decrypted for the caller only). */
export function usersRoutes(ctx: ApiContext) {
  const presenter = new Presenter(ctx.deps.decryptor);
  return (app: FastifyInstance): void => {
    app.get<{ Params: { tenantId: string; userId: string }; Querystring: { from: string; to: string } }>('/v1/tenants/:tenantId/users/:userId/meetings', {
      preHandler: bearerAuth(ctx),
      schema: {
        summary: "A user's meetings overlapping [from, to)", tags: ['meetings'], security: [{ bearer: [] }],
        params: USER_PARAMS, querystring: RANGE_QUERY,
        response: { 200: { type: 'object', required: ['meetings'], properties: { meetings: { type: 'array', items: MEETING } } }, ...errorResponses },
      },
    }, async (request) => {
      const { tenantId, userId } = request.params;
      const range = parseRange(request.query, ctx.options.maxRangeDays);
      await authorizeUser(ctx, principalOf(request), tenantId, userId);
      const entries = await ctx.deps.views.userMeetings(tenantId, userId, range.from, range.to);
      const sorted = [...entries].filter((m) => m.end > range.from && m.start < range.to).sort((a, b) => a.start - b.start || a.meetingId.localeCompare(b.meetingId));
      return { meetings: await presenter.meetings(tenantId, sorted) };
    });

    app.get<{ Params: { tenantId: string; userId: string } }>('/v1/tenants/:tenantId/users/:userId/presence', {
      preHandler: bearerAuth(ctx),
      schema: {
        summary: "A user's presence (out of office)", tags: ['presence'], security: [{ bearer: [] }], params: USER_PARAMS,
        response: {
          200: { type: 'object', required: ['outOfOffice', 'since', 'until', 'version', 'updatedAt'], properties: { outOfOffice: { type: 'boolean' }, since: { type: ['string', 'null'] }, until: { type: ['string', 'null'] }, version: { type: 'integer' }, updatedAt: INSTANT } },
          ...errorResponses, 404: ERROR_BODY,
        },
      },
    }, async (request) => {
      const { tenantId, userId } = request.params;
      await authorizeUser(ctx, principalOf(request), tenantId, userId);
      const p = await ctx.deps.views.presence(tenantId, userId);
      if (p === undefined) throw new NotFoundError('No presence is known for this user yet; the mailbox may not be activated.');
      return { outOfOffice: p.outOfOffice, since: p.since === null ? null : iso(p.since), until: p.until === null ? null : iso(p.until), version: p.version, updatedAt: iso(p.updatedAt) };
    });
  };
}

export { MEETING };
