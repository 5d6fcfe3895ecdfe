import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { ForbiddenError, UnauthenticatedError } from './errors.js';
import type { OidcClient } from './oidc.js';
import type { ApiOptions } from './options.js';
import type { ApiDeps } from './ports.js';
import type { Principal, TokenService } from './tokens.js';
import type { StoredViewCache } from './view-cache.js';

/** What every route plugin receives: options, dependencies and the shared services. */
export interface ApiContext {
  readonly options: ApiOptions;
  readonly deps: ApiDeps;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly tokens: TokenService;
  readonly oidc: OidcClient;
  /** Tenant → organisation for `tenantCacheMs` (provisioned tenants only; see `orgOfTenant`). */
  readonly tenantOrgs: StoredViewCache<string | undefined>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  /** OpenAPI annotations read by openapi.ts. */
  interface FastifySchema {
    summary?: string;
    tags?: readonly string[];
    security?: readonly Record<string, readonly string[]>[];
    hide?: boolean;
  }
}

/** preHandler for the JSON API: a service token in `Authorization: Bearer`. */
export function bearerAuth(ctx: ApiContext) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const header = request.headers.authorization;
    if (typeof header !== 'string' || !/^Bearer [^\s]+$/.test(header)) throw new UnauthenticatedError();
    request.principal = await ctx.tokens.verify(header.slice(7));
  };
}

export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new UnauthenticatedError();
  return request.principal;
}

/**
 * The organisation of a tenant, reused for `tenantCacheMs` (concurrent requests share one read).
 * A tenant the provisioning does not know is not remembered: it is asked again on the next request.
 */
export async function orgOfTenant(ctx: ApiContext, tenantId: string): Promise<string | undefined> {
  const load = async (ids: readonly string[]): Promise<Map<string, string>> => {
    const org = await ctx.deps.provisioning.orgOfTenant(ids[0]!);
    return new Map(org === undefined ? [] : [[ids[0]!, org]]);
  };
  const [org] = await ctx.tenantOrgs.getMany([{ key: tenantId, id: tenantId }], load, undefined);
  if (org === undefined) ctx.tenantOrgs.forget(tenantId);
  return org;
}

/** The tenant must belong to the principal's organisation (cross-tenant reads refused). */
async function checkTenant(ctx: ApiContext, principal: Principal, tenantId: string): Promise<void> {
  const org = await orgOfTenant(ctx, tenantId);
  if (org === undefined || org !== principal.orgId) throw new ForbiddenError();
  if (principal.tenantId !== null && principal.tenantId !== tenantId) throw new ForbiddenError();
}

/** A user's data: the user themself, or an administrator of the organisation. */
export async function authorizeUser(ctx: ApiContext, principal: Principal, tenantId: string, userId: string): Promise<void> {
  await checkTenant(ctx, principal, tenantId);
  if (principal.kind === 'admin') return;
  if (principal.kind === 'user' && principal.subject === userId) return;
  throw new ForbiddenError();
}

/** A device's data: the device itself, a gateway of the organisation, or an administrator. */
export async function authorizeDevice(ctx: ApiContext, principal: Principal, tenantId: string, deviceId: string): Promise<void> {
  await checkTenant(ctx, principal, tenantId);
  if (principal.kind === 'admin' || principal.kind === 'gateway') return;
  if (principal.kind === 'device' && principal.subject === deviceId) return;
  throw new ForbiddenError();
}

export function requireAdmin(principal: Principal): void {
  if (principal.kind !== 'admin') throw new ForbiddenError('Only an administrator of the organisation may do this.');
}
