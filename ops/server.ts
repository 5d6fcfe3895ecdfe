import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { silentLogger, type Logger } from '../common/index.js';

/** What one part of a process (a runtime, a connector) says about itself. */
export interface HealthReport {
  readonly name: string;
  /** False: the part is broken beyond repair in this process (restart it). */
  readonly live: boolean;
  /** False: the part cannot do its work right now (starting, rebalancing, stopping). */
  readonly ready: boolean;
  readonly reason?: string;
}

export interface HealthSource {
  health(): HealthReport;
}

export interface OpsServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Prometheus registry served at /metrics (share one RuntimeMetrics between runtimes of a process). */
  readonly registry: Registry;
  readonly sources: readonly HealthSource[];
  readonly logger?: Logger;
}

export interface OpsServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The operations endpoints of a worker process (DESIGN.md section 7): `/metrics` (Prometheus text),
 * `/healthz` (liveness: 503 when a part is broken for good) and `/readyz` (readiness: 503 while a
 * part starts, rebalances or stops). Bodies list each part with its reason; they carry no secrets.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const logger = options.logger ?? silentLogger;
  const app: FastifyInstance = Fastify({ logger: false });
  const report = (which: 'live' | 'ready'): { ok: boolean; body: { status: string; parts: HealthReport[] } } => {
    const parts = options.sources.map((source) => source.health());
    const ok = parts.every((part) => part[which]);
    return { ok, body: { status: ok ? 'ok' : which === 'live' ? 'broken' : 'not ready', parts } };
  };
  app.get('/metrics', async (_request, reply) => {
    const text = await options.registry.metrics();
    return reply.header('content-type', options.registry.contentType).send(text);
  });
  app.get('/healthz', async (_request, reply) => {
    const { ok, body } = report('live');
    return reply.code(ok ? 200 : 503).send(body);
  });
  app.get('/readyz', async (_request, reply) => {
    const { ok, body } = report('ready');
    return reply.code(ok ? 200 : 503).send(body);
  });
  const address = await app.listen({ host: options.host, port: options.port });
  logger.info({ address }, 'operations endpoints listening (/metrics, /healthz, /readyz)');
  return {
    url: address,
    close: () => app.close(),
  };
}
