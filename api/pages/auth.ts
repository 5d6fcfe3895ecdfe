import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { ForbiddenError, InvalidInputError, SignInError } from '../errors.js';
import { pkcePair, type PendingSignIn } from '../oidc.js';
import { SIGNIN_COOKIE, checkCsrf, cookieOptions, endSession, hashOf, readSession, startSession } from '../session.js';
import { safeEqual } from '../tokens.js';

/** A return address after sign-in: a path of this site's pages, nothing else (no open redirect). */
const RETURN_TO = /^\/(admin|me)(\/[A-Za-z0-9/_-]{0,100})?(\?[A-Za-z0-9=&%._-]{0,300})?$/;
const STATE_RE = /^[A-Za-z0-9_-]{43}$/;

function str(value: unknown, max = 2048): string | undefined {
  return typeof value === 'string' && value.length <= max ? value : undefined;
}

export function redirectUri(ctx: ApiContext): string {
  return `${ctx.options.publicBaseUrl.replace(/\/$/, '')}/auth/callback`;
}

/** Starts an authorization-code + PKCE sign-in: state, nonce and verifier kept server-side. */
export async function beginSignIn(ctx: ApiContext, reply: FastifyReply, purpose: PendingSignIn['purpose'], returnTo: string, loginHint?: string): Promise<FastifyReply> {
  const state = randomBytes(32).toString('base64url');
  const nonce = randomBytes(32).toString('base64url');
  const browser = randomBytes(32).toString('base64url');
  const { verifier, challenge } = pkcePair();
  const pending: PendingSignIn = { purpose, nonce, verifier, returnTo, expiresAt: ctx.clock.now() + ctx.options.signInTtlMs, browser: hashOf(browser) };
  await ctx.deps.state.put(`signin:${hashOf(state)}`, pending);
  void reply.setCookie(SIGNIN_COOKIE, browser, cookieOptions(ctx, ctx.options.signInTtlMs));
  const scopes = purpose === 'connect' ? ctx.options.connectScopes : [];
  const url = await ctx.oidc.authorizeUrl({ redirectUri: redirectUri(ctx), scopes, state, nonce, challenge, ...(loginHint === undefined ? {} : { loginHint }) });
  return reply.code(303).header('location', url).send();
}

export function authPages(ctx: ApiContext) {
  return (app: FastifyInstance): void => {
    app.get<{ Querystring: Record<string, unknown> }>('/signin', async (request, reply) => {
      const as = request.query['as'];
      if (as !== 'admin' && as !== 'user') throw new InvalidInputError('Choose how to sign in: ?as=admin or ?as=user.');
      const returnTo = str(request.query['returnTo'], 500) ?? (as === 'admin' ? '/admin' : '/me');
      if (!RETURN_TO.test(returnTo)) throw new InvalidInputError('returnTo must be a page of this site (a path starting with /admin or /me).');
      return beginSignIn(ctx, reply, as, returnTo);
    });

    app.get<{ Querystring: Record<string, unknown> }>('/auth/callback', async (request: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply) => {
      const state = str(request.query['state'], 100);
      if (state === undefined || !STATE_RE.test(state)) throw new SignInError('The sign-in answer has no valid state; start signing in again.');
      const key = `signin:${hashOf(state)}`;
      const pending = await ctx.deps.state.get<PendingSignIn>(key);
      const rawBrowser = request.cookies[SIGNIN_COOKIE];
      const browser = rawBrowser === undefined ? undefined : request.unsignCookie(rawBrowser);
      if (pending === undefined || browser?.valid !== true || browser.value === null || !safeEqual(hashOf(browser.value), pending.browser)) {
        throw new SignInError('This sign-in was not started in this browser or was already used; start signing in again.');
      }
      await ctx.deps.state.delete(key);
      void reply.clearCookie(SIGNIN_COOKIE, { path: '/' });
      if (pending.expiresAt <= ctx.clock.now()) throw new SignInError('The sign-in took too long; start again.');
      const error = str(request.query['error'], 100);
      if (error !== undefined) {
        const description = (str(request.query['error_description'], 2000) ?? '').split(/\r?\n/)[0]!.slice(0, 300);
        throw new SignInError(`Microsoft 365 refused the sign-in (${error}): ${description}`);
      }
      const code = str(request.query['code'], 4096);
      if (code === undefined || code === '') throw new SignInError('The sign-in answer has no authorization code; start again.');
      const scopes = pending.purpose === 'connect' ? ctx.options.connectScopes : [];
      const tokens = await ctx.oidc.redeem({ code, verifier: pending.verifier, redirectUri: redirectUri(ctx), nonce: pending.nonce, scopes });
      const claims = tokens.claims;
      if (pending.purpose === 'admin') {
        const orgId = await ctx.deps.provisioning.adminOrgOf({ tenantId: claims.tenantId, userId: claims.userId, username: claims.username });
        if (orgId === undefined) throw new ForbiddenError('This account is not an administrator of an organisation using this service. Sign in with an administrator account.');
        await startSession(ctx, reply, { role: 'admin', orgId, tenantId: claims.tenantId, userId: claims.userId, username: claims.username, name: claims.name });
        request.log.info({ role: 'admin', tenantId: claims.tenantId }, 'signed in');
      } else if (pending.purpose === 'user') {
        const orgId = await ctx.deps.provisioning.orgOfTenant(claims.tenantId);
        if (orgId === undefined) throw new ForbiddenError('Your organisation has not set up hybrid-calendar yet; ask your Microsoft 365 administrator.');
        await startSession(ctx, reply, { role: 'user', orgId, tenantId: claims.tenantId, userId: claims.userId, username: claims.username, name: claims.name });
        request.log.info({ role: 'user', tenantId: claims.tenantId }, 'signed in');
      } else {
        const session = await readSession(ctx, request);
        if (session?.role !== 'user') throw new SignInError('Your session ended; sign in and connect your calendar again.');
        if (session.tenantId !== claims.tenantId || session.userId !== claims.userId) throw new ForbiddenError('You connected a different Microsoft 365 account than the one you are signed in with; connect with your own account.');
        if (tokens.refreshToken === null) throw new SignInError('Microsoft 365 did not grant offline access; connect again and accept all requested permissions.');
        await ctx.deps.connections.connect({ tenantId: claims.tenantId, userId: claims.userId, refreshToken: tokens.refreshToken, scopes: tokens.scopes });
        request.log.info({ tenantId: claims.tenantId }, 'calendar connected');
      }
      return reply.code(303).header('location', pending.returnTo).send();
    });

    app.post('/signout', async (request, reply) => {
      const session = await readSession(ctx, request);
      if (session !== undefined) {
        checkCsrf(session, request.body);
        await endSession(ctx, request, reply);
      }
      return reply.code(303).header('location', '/').send();
    });
  };
}
