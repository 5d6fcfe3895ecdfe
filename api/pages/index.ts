import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { adminPages } from './admin.js';
import { authPages } from './auth.js';
import { SITE_CSS, layout } from './html.js';
import { userPages } from './user.js';

/** Server-rendered pages: sign-in, admin setup and status, the user's own page. */
export function pagesRoutes(ctx: ApiContext) {
  return (app: FastifyInstance): void => {
    app.get('/', { schema: { hide: true } }, (_request, reply) => reply.type('text/html; charset=utf-8').send(layout('Hybrid Calendar', { role: null },
      '<p>Meeting lists, the Join button on video devices and out-of-office presence for Microsoft 365.</p><ul><li><a href="/signin?as=admin">Sign in as an administrator</a></li><li><a href="/signin?as=user">Sign in to connect your calendar</a></li></ul>')));
    app.get('/assets/site.css', { schema: { hide: true } }, (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(SITE_CSS));
    authPages(ctx)(app);
    adminPages(ctx)(app);
    userPages(ctx)(app);
  };
}
