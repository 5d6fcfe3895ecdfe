import Fastify, { type FastifyInstance } from 'fastify';
import type { DemoBoard } from './board.js';

export interface DashboardOptions {
  readonly board: DemoBoard;
  readonly host?: string;
  readonly port?: number;
  /** How often the live stream checks the board for changes, in milliseconds. */
  readonly pushEveryMs?: number;
}

/**
 * The demo's dashboard: one page (meeting lists filling, Join buttons on devices, keyword
 * meetings, presence) kept live by server-sent events of board snapshots.
 */
export async function startDashboard(options: DashboardOptions): Promise<{ url: string; app: FastifyInstance }> {
  const { board } = options;
  const pushEveryMs = options.pushEveryMs ?? 500;
  const app = Fastify({ logger: false });
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('content-security-policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
    done(null, payload);
  });
  app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').send(DASHBOARD_HTML));
  app.get('/api/board', (_request, reply) => reply.send(board.snapshot()));
  app.get('/api/board/stream', (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    let sent = -1;
    const push = (): void => {
      if (board.version === sent) return;
      sent = board.version;
      res.write(`id: ${sent}\ndata: ${JSON.stringify(board.snapshot())}\n\n`);
    };
    push();
    const timer = setInterval(push, pushEveryMs);
    const beat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    request.raw.on('close', () => {
      clearInterval(timer);
      clearInterval(beat);
    });
  });
  const address = await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  return { url: address, app };
}

const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hybrid-calendar demo</title>
<style>
  :root { --bg:#0f172a; --panel:#1e293b; --ink:#e2e8f0; --dim:#94a3b8; --go:#22c55e; --warn:#f59e0b; --oof:#a855f7; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--ink); }
  header { display:flex; gap:24px; align-items:baseline; padding:16px 24px; background:#020617; }
  h1 { font-size:18px; margin:0; } h2 { font-size:15px; margin:0 0 8px; color:var(--dim); }
  .counts { display:flex; gap:16px; color:var(--dim); } .counts b { color:var(--ink); }
  main { display:grid; grid-template-columns: 2fr 1fr; gap:16px; padding:16px 24px; }
  section { background:var(--panel); border-radius:8px; padding:12px 16px; }
  .devices { display:grid; grid-template-columns:repeat(auto-fill,minmax(190px,1fr)); gap:10px; }
  .device { background:#0b1222; border-radius:8px; padding:10px; min-height:92px; }
  .device .id { font-weight:600; font-size:12px; word-break:break-all; }
  .device .next { color:var(--dim); font-size:12px; margin:4px 0; }
  .join { display:inline-block; margin-top:4px; padding:6px 18px; border-radius:18px; background:var(--go); color:#052e16; font-weight:700; }
  .join[hidden] { display:none; }
  .user { display:grid; grid-template-columns: 190px 1fr; gap:8px; align-items:center; margin:4px 0; }
  .uname { font-size:12px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
  .oof { color:var(--oof); font-weight:700; margin-left:6px; }
  .lane { position:relative; height:18px; background:#0b1222; border-radius:4px; }
  .bar { position:absolute; top:2px; height:14px; border-radius:3px; background:#3b82f6; }
  .bar.private { background:#64748b; } .bar.keyword { background:var(--warn); } .bar.joined { outline:2px solid var(--go); }
  .nowline { position:absolute; top:0; bottom:0; width:2px; background:#ef4444; }
  ol { margin:0; padding-left:18px; color:var(--dim); font-size:12px; }
  .legend span { margin-right:12px; font-size:12px; color:var(--dim); }
</style>
</head>
<body>
<header><h1>hybrid-calendar — live demo</h1><div class="counts" id="counts" aria-live="polite"></div><div id="clock" class="counts"></div></header>
<main>
  <div>
    <section aria-labelledby="devices-h"><h2 id="devices-h">Video devices — Join button (OBTP)</h2><div class="devices" id="devices"></div></section>
    <section aria-labelledby="users-h" style="margin-top:16px"><h2 id="users-h">Meeting lists — next 24 hours</h2>
      <div class="legend"><span>■ meeting</span><span style="color:var(--warn)">■ keyword (@webex / @meet)</span><span>■ private</span><span style="color:var(--go)">▢ join details</span><span style="color:#ef4444">| now</span></div>
      <div id="users"></div></section>
  </div>
  <section aria-labelledby="recent-h"><h2 id="recent-h">What just happened</h2><ol id="recent"></ol></section>
</main>
<script>
const $ = (id) => document.getElementById(id);
const esc = (v) => String(v).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
const t = (ms) => new Date(ms).toISOString().slice(11, 16);
function render(s) {
  $('counts').innerHTML = Object.entries(s.counts).map(([k, v]) => '<span>' + esc(k) + ' <b>' + v + '</b></span>').join('');
  $('clock').textContent = 'service clock ' + new Date(s.now).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' + (s.speed > 1 ? ' (' + s.speed + '× faster than real time)' : '');
  $('devices').innerHTML = s.devices.map((d) => {
    const next = d.bookings[0];
    return '<div class="device" data-device="' + esc(d.deviceId) + '"><div class="id">' + esc(d.deviceId) + '</div>' +
      '<div class="next">' + (next ? (next.isPrivate ? 'Private meeting ' : 'Next ') + t(next.start) + '–' + t(next.end) : 'No bookings') +
      ' · ' + d.bookings.length + ' booked</div>' +
      '<span class="join" role="button" tabindex="0" ' + (d.joinShowing ? '' : 'hidden') + '>Join</span></div>';
  }).join('') || '<p>No device bookings yet.</p>';
  const from = s.now - 3600e3, span = 24 * 3600e3;
  const pct = (ms) => Math.max(0, Math.min(100, ((ms - from) / span) * 100));
  $('users').innerHTML = s.users.slice(0, 60).map((u) => '<div class="user"><div class="uname">' + esc(u.userId.split('/').pop()) +
    (u.outOfOffice ? '<span class="oof">OOO</span>' : '') + '</div><div class="lane" role="img" aria-label="' + u.meetings.length + ' meetings">' +
    u.meetings.filter((m) => m.end > from && m.start < from + span).map((m) => '<div class="bar' + (m.isPrivate ? ' private' : '') +
      (m.keyword ? ' keyword' : '') + (m.hasJoinDetails ? ' joined' : '') + '" style="left:' + pct(m.start) + '%;width:' +
      Math.max(0.5, pct(m.end) - pct(m.start)) + '%" title="' + t(m.start) + '–' + t(m.end) + ' ' + esc(m.providerKind) + '"></div>').join('') +
    '<div class="nowline" style="left:' + pct(s.now) + '%"></div></div></div>').join('') || '<p>No meetings yet.</p>';
  $('recent').innerHTML = s.recent.map((r) => '<li>' + t(r.at) + ' ' + esc(r.text) + '</li>').join('');
}
const source = new EventSource('/api/board/stream');
source.onmessage = (e) => render(JSON.parse(e.data));
</script>
</body>
</html>
`;
