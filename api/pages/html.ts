import type { ApiError } from '../errors.js';

export function esc(value: string | number | null | undefined): string {
  return String(value ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface Nav {
  readonly role: 'admin' | 'user' | null;
  readonly csrf?: string;
  readonly name?: string;
}

const CSS = `body{font:16px/1.5 system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff}
header{background:#0b3d6e;color:#fff;padding:.5rem 1rem;display:flex;gap:1rem;align-items:center;flex-wrap:wrap}
header a{color:#fff}header form{margin:0 0 0 auto}main{padding:1rem;max-width:70rem}
a{color:#0a4f9e}a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #f5a623;outline-offset:2px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #c8c8c8;padding:.35rem .5rem;text-align:left;vertical-align:top}
.ok{color:#0f6b2f;font-weight:600}.bad{color:#a4000f;font-weight:600}.muted{color:#4d4d4d}
.notice{border-left:4px solid #0a4f9e;padding:.5rem 1rem;background:#eef4fb}.error{border-left:4px solid #a4000f;padding:.5rem 1rem;background:#fbeeee}
label{display:block;margin:.5rem 0 .2rem}input,select,textarea,button{font:inherit}button{padding:.3rem .9rem;cursor:pointer}
fieldset{margin:1rem 0}.inline{display:inline}`;

export function layout(title: string, nav: Nav, body: string): string {
  const links = nav.role === 'admin'
    ? '<a href="/admin">Overview</a><a href="/admin/setup">Set up Microsoft 365</a><a href="/admin/tenants">Tenants</a><a href="/admin/users">User status</a><a href="/admin/rooms">Rooms</a><a href="/admin/settings">Settings</a><a href="/admin/tokens">Tokens</a>'
    : nav.role === 'user' ? '<a href="/me">My calendar</a>' : '';
  const signOut = nav.role !== null && nav.csrf !== undefined
    ? `<form method="post" action="/signout"><input type="hidden" name="_csrf" value="${esc(nav.csrf)}"><button type="submit">Sign out${nav.name === undefined ? '' : ` ${esc(nav.name)}`}</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} – hybrid-calendar</title><link rel="stylesheet" href="/assets/site.css"></head><body><header><span>hybrid-calendar</span><nav aria-label="Main">${links.replace(/<\/a><a/g, '</a> <a')}</nav>${signOut}</header><main id="main"><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

export const SITE_CSS = CSS;

export function errorPage(error: ApiError): string {
  const next = error.statusCode === 401 ? '<p><a href="/signin?as=admin">Sign in as an administrator</a> or <a href="/signin?as=user">sign in to your calendar</a>.</p>' : '<p><a href="/">Back to the start</a></p>';
  return layout('Something went wrong', { role: null }, `<div class="error" role="alert"><p>${esc(error.message)}</p><p class="muted">Error code: <code>${esc(error.code)}</code></p></div>${next}`);
}

export function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`;
}
