// Child process of the simulator's end-to-end tests: the unmodified msal-node and Graph client,
// configured like a connector would be (authority metadata, base URL, custom hosts) and trusting the
// simulator's CA through NODE_EXTRA_CA_CERTS, which Node reads only when a process starts. Reads
// one JSON request per line on stdin, answers one JSON line on stdout.
import { createInterface } from 'node:readline';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { Client } from '@microsoft/microsoft-graph-client';

interface Config {
  graphBaseUrl: string; authorityUrl: string; knownAuthority: string; authorityMetadata: string;
  tenant: string; appId: string; secret: string;
}

interface Request {
  id: number;
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path below the version (`/users/x/events`) or a full nextLink/deltaLink. */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

const cfg = JSON.parse(process.env['SIM_E2E_CONFIG'] ?? '{}') as Config;
const msal = new ConfidentialClientApplication({
  auth: {
    clientId: cfg.appId, clientSecret: cfg.secret, authority: `${cfg.authorityUrl}/${cfg.tenant}`,
    knownAuthorities: [cfg.knownAuthority], authorityMetadata: cfg.authorityMetadata,
  },
});
const client = Client.initWithMiddleware({
  authProvider: {
    getAccessToken: async () => (await msal.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] }))?.accessToken ?? '',
  },
  baseUrl: cfg.graphBaseUrl,
  customHosts: new Set(['localhost']),
});

async function handle(req: Request): Promise<unknown> {
  let call = client.api(req.path);
  for (const [name, value] of Object.entries(req.headers ?? {})) call = call.header(name, value);
  if (req.query !== undefined) call = call.query(req.query);
  try {
    let body: unknown;
    if (req.method === 'GET') body = await call.get() as unknown;
    else if (req.method === 'POST') body = await call.post(req.body ?? {}) as unknown;
    else if (req.method === 'PATCH') body = await call.patch(req.body ?? {}) as unknown;
    else body = await call.delete() as unknown;
    return { id: req.id, ok: true, body: body ?? null };
  } catch (error) {
    const e = error as { statusCode?: number; code?: string; message?: string; body?: unknown };
    return { id: req.id, ok: false, statusCode: e.statusCode, code: e.code, message: e.message };
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  void handle(JSON.parse(line) as Request).then((answer) => process.stdout.write(`${JSON.stringify(answer)}\n`));
});
