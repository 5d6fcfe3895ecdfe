import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from './context.js';
import { CsrfError, UnauthenticatedError } from './errors.js';
import { safeEqual, type Principal } from './tokens.js';

export const SESSION_COOKIE = 'hc_session';
export const SIGNIN_COOKIE = 'hc_signin';

/** A browser session (admin or user), kept server-side under `session:<id>`. */
export interface Session {
  readonly role: 'admin' | 'user';
  readonly orgId: string;
  readonly tenantId: string;
  readonly userId: string;
  readonly username: string;
  readonly name: string;
  readonly csrf: string;
  readonly expiresAt: number;
}

export function cookieOptions(ctx: ApiContext, maxAgeMs: number) {
  return {
    path: '/', httpOnly: true, sameSite: 'lax' as const, signed: true,
    secure: ctx.options.publicBaseUrl.startsWith('https:'), maxAge: Math.floor(maxAgeMs / 1000),
  };
}

export function hashOf(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

export async function startSession(ctx: ApiContext, reply: FastifyReply, data: Omit<Session, 'csrf' | 'expiresAt'>): Promise<void> {
  const id = randomBytes(32).toString('base64url');
  const session: Session = { ...data, csrf: randomBytes(24).toString('base64url'), expiresAt: ctx.clock.now() + ctx.options.sessionTtlMs };
  await ctx.deps.state.put(`session:${hashOf(id)}`, session);
  void reply.setCookie(SESSION_COOKIE, id, cookieOptions(ctx, ctx.options.sessionTtlMs));
}

function sessionId(request: FastifyRequest): string | undefined {
  const raw = request.cookies[SESSION_COOKIE];
  if (raw === undefined) return undefined;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid && unsigned.value !== null && /^[A-Za-z0-9_-]{43}$/.test(unsigned.value) ? unsigned.value : undefined;
}

/** The request's session, if its signed cookie names a live one. */
export async function readSession(ctx: ApiContext, request: FastifyRequest): Promise<Session | undefined> {
  const id = sessionId(request);
  if (id === undefined) return undefined;
  const session = await ctx.deps.state.get<Session>(`session:${hashOf(id)}`);
  if (session === undefined || session.expiresAt <= ctx.clock.now()) return undefined;
  return session;
}

export async function endSession(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const id = sessionId(request);
  if (id !== undefined) await ctx.deps.state.delete(`session:${hashOf(id)}`);
  void reply.clearCookie(SESSION_COOKIE, { path: '/' });
}

export function sessionPrincipal(session: Session): Principal {
  return { orgId: session.orgId, kind: session.role, tenantId: session.role === 'admin' ? null : session.tenantId, subject: session.userId, via: 'session' };
}

/** Every form post carries the session's CSRF token (`_csrf`), compared in constant time. */
export function checkCsrf(session: Session, body: unknown): void {
  const sent = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['_csrf'] : undefined;
  if (typeof sent !== 'string' || !safeEqual(sent, session.csrf)) throw new CsrfError();
}

export function requireSessionError(): UnauthenticatedError {
  return new UnauthenticatedError('Sign in first.');
}
