import type { FastifyInstance } from 'fastify';
import { authorizeUser, bearerAuth, principalOf, type ApiContext } from '../context.js';
import { GraphRefusedError, InvalidInputError } from '../errors.js';
import type { ActionResult, CreateMeetingInput, RespondInput, ScheduleInput } from '../ports.js';
import { DATE_TIME_TZ, EVENT_ID, TENANT_ID, USER_ID, errorResponses, ERROR_BODY } from '../schemas.js';

const USER_PARAMS = { type: 'object', additionalProperties: false, required: ['tenantId', 'userId'], properties: { tenantId: TENANT_ID, userId: USER_ID } } as const;
const EVENT_PARAMS = { ...USER_PARAMS, required: ['tenantId', 'userId', 'eventId'], properties: { ...USER_PARAMS.properties, eventId: EVENT_ID } } as const;
const ADDRESS = { type: 'string', minLength: 3, maxLength: 254, pattern: "^[^\\s@<>]+@[^\\s@<>]+$" } as const;
const actionResponses = { ...errorResponses, 422: ERROR_BODY, 502: ERROR_BODY } as const;

function unwrap<T>(result: ActionResult<T>): T {
  if (result.ok) return result.value;
  throw new GraphRefusedError(result.status, `${result.message} (${result.code})`, result.code);
}

/** Apps acting on a user's calendar through the Graph access module (the mailbox's own authorization mode). */
export function actionsRoutes(ctx: ApiContext) {
  const actions = ctx.deps.actions;
  return (app: FastifyInstance): void => {
    const auth = bearerAuth(ctx);

    app.post<{ Params: { tenantId: string; userId: string; eventId: string }; Body: RespondInput }>('/v1/tenants/:tenantId/users/:userId/events/:eventId/respond', {
      preHandler: auth,
      schema: {
        summary: 'Accept, tentatively accept (optionally proposing a new time) or decline an invitation', tags: ['actions'], security: [{ bearer: [] }],
        params: EVENT_PARAMS,
        body: {
          type: 'object', additionalProperties: false, required: ['response', 'sendResponse'],
          properties: {
            response: { type: 'string', enum: ['accept', 'tentativelyAccept', 'decline'] },
            comment: { type: 'string', maxLength: 4000 }, sendResponse: { type: 'boolean' },
            proposedNewTime: { type: 'object', additionalProperties: false, required: ['start', 'end'], properties: { start: DATE_TIME_TZ, end: DATE_TIME_TZ } },
          },
        },
        response: { 204: { type: 'null' }, ...actionResponses },
      },
    }, async (request, reply) => {
      const { tenantId, userId, eventId } = request.params;
      await authorizeUser(ctx, principalOf(request), tenantId, userId);
      if (request.body.proposedNewTime !== undefined && request.body.response === 'accept') throw new InvalidInputError('A new time can be proposed only when tentatively accepting or declining.');
      unwrap(await actions.respond(tenantId, userId, eventId, request.body));
      return reply.code(204).send();
    });

    app.post<{ Params: { tenantId: string; userId: string }; Body: CreateMeetingInput }>('/v1/tenants/:tenantId/users/:userId/events', {
      preHandler: auth,
      schema: {
        summary: "Schedule a meeting in the user's calendar; @webex / @meet in location work as if typed in Outlook", tags: ['actions'], security: [{ bearer: [] }],
        params: USER_PARAMS,
        body: {
          type: 'object', additionalProperties: false, required: ['subject', 'start', 'end', 'attendees'],
          properties: {
            subject: { type: 'string', maxLength: 255 }, start: DATE_TIME_TZ, end: DATE_TIME_TZ,
            location: { type: 'string', maxLength: 255 }, body: { type: 'string', maxLength: 32_000 }, isOnlineMeeting: { type: 'boolean' },
            attendees: { type: 'array', maxItems: 500, items: { type: 'object', additionalProperties: false, required: ['address', 'type'], properties: { address: ADDRESS, type: { type: 'string', enum: ['required', 'optional', 'resource'] } } } },
          },
        },
        response: { 201: { type: 'object', required: ['eventId'], properties: { eventId: { type: 'string' } } }, ...actionResponses },
      },
    }, async (request, reply) => {
      const { tenantId, userId } = request.params;
      await authorizeUser(ctx, principalOf(request), tenantId, userId);
      const created = unwrap(await actions.createMeeting(tenantId, userId, request.body));
      return reply.code(201).send(created);
    });

    app.post<{ Params: { tenantId: string; userId: string; eventId: string }; Body: { comment?: string } }>('/v1/tenants/:tenantId/users/:userId/events/:eventId/cancel', {
      preHandler: auth,
      schema: {
        summary: 'Cancel a meeting the user organizes (attendees are told, with the comment)', tags: ['actions'], security: [{ bearer: [] }],
        params: EVENT_PARAMS,
        body: { type: 'object', additionalProperties: false, properties: { comment: { type: 'string', maxLength: 4000 } } },
        response: { 204: { type: 'null' }, ...actionResponses },
      },
    }, async (request, reply) => {
      const { tenantId, userId, eventId } = request.params;
      await authorizeUser(ctx, principalOf(request), tenantId, userId);
      unwrap(await actions.cancelMeeting(tenantId, userId, eventId, request.body.comment));
      return reply.code(204).send();
    });

    app.delete<{ Params: { tenantId: string; userId: string; eventId: string } }>('/v1/tenants/:tenantId/users/:userId/events/:eventId', {
      preHandler: auth,
      schema: { summary: "Delete a meeting from the user's calendar", tags: ['actions'], security: [{ bearer: [] }], params: EVENT_PARAMS, response: { 204: { type: 'null' }, ...actionResponses } },
    }, async (request, reply) => {
      const { tenantId, userId, eventId } = request.params;
      await authorizeUser(ctx, principalOf(request), tenantId, userId);
      unwrap(await actions.deleteMeeting(tenantId, userId, eventId));
      return reply.code(204).send();
    });

    app.post<{ Params: { tenantId: string; userId: string }; Body: ScheduleInput }>('/v1/tenants/:tenantId/users/:userId/schedule', {
      preHandler: auth,
      schema: {
        summary: 'Free/busy of people and rooms (getSchedule): availability view and items', tags: ['actions'], security: [{ bearer: [] }],
        params: USER_PARAMS,
        body: {
          type: 'object', additionalProperties: false, required: ['schedules', 'start', 'end'],
          properties: { schedules: { type: 'array', minItems: 1, maxItems: 100, items: ADDRESS }, start: DATE_TIME_TZ, end: DATE_TIME_TZ, availabilityViewInterval: { type: 'integer', minimum: 5, maximum: 1440, default: 30 } },
        },
        response: {
          200: {
            type: 'object', required: ['schedules'],
            properties: {
              schedules: {
                type: 'array',
                items: {
                  type: 'object', required: ['scheduleId', 'availabilityView', 'scheduleItems', 'error'],
                  properties: {
                    scheduleId: { type: 'string' }, availabilityView: { type: 'string' },
                    scheduleItems: { type: 'array', items: { type: 'object', required: ['status', 'start', 'end'], properties: { status: { type: 'string' }, start: DATE_TIME_TZ, end: DATE_TIME_TZ } } },
                    error: { type: ['object', 'null'], properties: { message: { type: 'string' }, responseCode: { type: 'string' } } },
                  },
                },
              },
            },
          },
          ...actionResponses,
        },
      },
    }, async (request) => {
      const { tenantId, userId } = request.params;
      await authorizeUser(ctx, principalOf(request), tenantId, userId);
      return { schedules: unwrap(await actions.getSchedule(tenantId, userId, request.body)) };
    });
  };
}
