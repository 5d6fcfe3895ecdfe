import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiContext } from '../context.js';
import { UnauthenticatedError } from '../errors.js';
import { Presenter } from '../present.js';
import { checkCsrf, readSession, type Session } from '../session.js';
import { beginSignIn } from './auth.js';
import { esc, layout } from './html.js';

const STATE_TEXT = {
  'not-connected': 'Not connected', 'not-activated': 'Not activated', pending: 'Pending activation', activated: 'Activated', error: 'Error',
} as const;

/** The user's own page: connect / disconnect the Microsoft 365 calendar, state, meetings, presence. */
export function userPages(ctx: ApiContext) {
  const presenter = new Presenter(ctx.deps.decryptor);

  async function user(request: FastifyRequest, reply: FastifyReply): Promise<Session | undefined> {
    const session = await readSession(ctx, request);
    if (session?.role === 'user') return session;
    if (request.method === 'GET') {
      void reply.code(303).header('location', '/signin?as=user&returnTo=%2Fme').send();
      return undefined;
    }
    throw new UnauthenticatedError('Your session ended; sign in again.');
  }

  return (app: FastifyInstance): void => {
    app.get('/me', async (request, reply) => {
      const session = await user(request, reply);
      if (session === undefined) return reply;
      const state = await ctx.deps.connections.state(session.tenantId, session.userId);
      const now = ctx.clock.now();
      const meetings = state.state === 'not-connected' ? [] : await ctx.deps.views.userMeetings(session.tenantId, session.userId, now - 86_400_000, now + 7 * 86_400_000);
      const shown = await presenter.meetings(session.tenantId, [...meetings].filter((m) => m.end > now && !m.isCancelled).sort((a, b) => a.start - b.start).slice(0, 100));
      const presence = await ctx.deps.views.presence(session.tenantId, session.userId);
      const csrf = `<input type="hidden" name="_csrf" value="${esc(session.csrf)}">`;
      const connect = state.state === 'not-connected'
        ? `<form method="post" action="/me/connect">${csrf}<button type="submit">Connect your Microsoft 365 calendar</button></form>`
        : `<form method="post" action="/me/disconnect">${csrf}<button type="submit">Disconnect your calendar</button></form>`;
      const stateLine = `<p>Calendar: <strong id="connection-state">${STATE_TEXT[state.state]}</strong>${state.reason === null ? '' : ` – ${esc(state.reason)}`}${state.nextRetryAt === null ? '' : ` (next retry ${new Date(state.nextRetryAt).toISOString().replace('T', ' ').slice(0, 16)} UTC)`}</p>`;
      const presenceLine = presence === undefined ? '<p>Presence: unknown</p>' : `<p>Presence: <strong>${presence.outOfOffice ? 'Out of office' : 'Available'}</strong>${presence.until === null ? '' : ` until ${new Date(presence.until).toISOString().slice(0, 16).replace('T', ' ')} UTC`}</p>`;
      const rows = shown.map((m) => {
        const join = m['join'] as { url: string | null } | null;
        return `<tr><td>${esc(String(m['start']).slice(0, 16).replace('T', ' '))}–${esc(String(m['end']).slice(11, 16))} UTC</td><td>${esc((m['subject'] as string | null) ?? '(no subject)')}</td><td>${join?.url === null || join === null ? '' : `<a href="${esc(join.url)}" rel="noopener noreferrer">Join</a>`}</td></tr>`;
      }).join('');
      const list = shown.length === 0 ? '<p>No meetings in the next 7 days.</p>'
        : `<table><caption class="muted">Your meetings in the next 7 days</caption><thead><tr><th scope="col">When</th><th scope="col">Subject</th><th scope="col">Join</th></tr></thead><tbody>${rows}</tbody></table>`;
      return reply.type('text/html; charset=utf-8').send(layout('My calendar', { role: 'user', csrf: session.csrf, name: session.name }, `${stateLine}${connect}${presenceLine}<h2>Meetings</h2>${list}`));
    });

    app.post('/me/connect', async (request, reply) => {
      const session = await user(request, reply);
      if (session === undefined) return reply;
      checkCsrf(session, request.body);
      return beginSignIn(ctx, reply, 'connect', '/me', session.username);
    });

    app.post('/me/disconnect', async (request, reply) => {
      const session = await user(request, reply);
      if (session === undefined) return reply;
      checkCsrf(session, request.body);
      await ctx.deps.connections.disconnect(session.tenantId, session.userId);
      return reply.code(303).header('location', '/me').send();
    });
  };
}
