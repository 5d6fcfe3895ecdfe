import type { FastifyInstance } from 'fastify';
import { bearerAuth, principalOf, requireAdmin, type ApiContext } from '../context.js';
import { ForbiddenError } from '../errors.js';
import { iso } from '../present.js';
import type { PrincipalKind } from '../tokens.js';
import { DEVICE_ID, INSTANT, TENANT_ID, errorResponses } from '../schemas.js';

/** Administrators issue and revoke the organisation's service tokens. */
export function tokensRoutes(ctx: ApiContext) {
  return (app: FastifyInstance): void => {
    app.post<{ Body: { kind: PrincipalKind; tenantId?: string; subject: string; ttlDays: number } }>('/v1/tokens', {
      preHandler: bearerAuth(ctx),
      schema: {
        summary: 'Issue a service token for a user, a device, a gateway or an administrator of the organisation (shown once)', tags: ['tokens'], security: [{ bearer: [] }],
        body: {
          type: 'object', additionalProperties: false, required: ['kind', 'subject', 'ttlDays'],
          properties: { kind: { type: 'string', enum: ['user', 'device', 'gateway', 'admin'] }, tenantId: TENANT_ID, subject: DEVICE_ID, ttlDays: { type: 'integer', minimum: 1, maximum: 400 } },
        },
        response: { 201: { type: 'object', required: ['token', 'tokenId', 'expiresAt'], properties: { token: { type: 'string' }, tokenId: { type: 'string' }, expiresAt: INSTANT } }, ...errorResponses },
      },
    }, async (request, reply) => {
      const principal = principalOf(request);
      requireAdmin(principal);
      const tenantId = request.body.tenantId ?? null;
      if (tenantId !== null && (await ctx.deps.provisioning.orgOfTenant(tenantId)) !== principal.orgId) throw new ForbiddenError('This tenant is not in your organisation.');
      const issued = await ctx.tokens.issue({ orgId: principal.orgId, kind: request.body.kind, tenantId, subject: request.body.subject, ttlMs: request.body.ttlDays * 86_400_000 });
      request.log.info({ tokenId: issued.tokenId, kind: request.body.kind, by: principal.via }, 'token issued');
      return reply.code(201).send({ token: issued.token, tokenId: issued.tokenId, expiresAt: iso(issued.expiresAt) });
    });

    app.delete<{ Params: { tokenId: string } }>('/v1/tokens/:tokenId', {
      preHandler: bearerAuth(ctx),
      schema: {
        summary: 'Revoke a service token of the organisation', tags: ['tokens'], security: [{ bearer: [] }],
        params: { type: 'object', additionalProperties: false, required: ['tokenId'], properties: { tokenId: { type: 'string', pattern: '^[A-Za-z0-9_-]{16}$' } } },
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    }, async (request, reply) => {
      const principal = principalOf(request);
      requireAdmin(principal);
      await ctx.tokens.revoke(principal.orgId, request.params.tokenId);
      request.log.info({ tokenId: request.params.tokenId, by: principal.via }, 'token revoked');
      return reply.code(204).send();
    });
  };
}
