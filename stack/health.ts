import { Kafka, logLevel } from 'kafkajs';
import { MongoClient } from 'mongodb';
import type { ConnectionStrings } from './layout.js';

/** A part's health: `ok` or the reason it is not. */
export type Health = { ok: true; detail: string } | { ok: false; reason: string };

export async function kafkaHealth(brokers: string): Promise<Health> {
  const admin = new Kafka({
    clientId: 'hycal-stack-health',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    // The group coordinator answers only once __consumer_offsets can be created: the classic
    // single-broker failure (offsets.topic.replication.factor > brokers) shows up here.
    await admin.listGroups();
    return { ok: true, detail: `${cluster.brokers.length} broker(s), controller ${cluster.controller ?? 'n/a'}` };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export async function registryHealth(url: string): Promise<Health> {
  try {
    const response = await fetch(`${url.replace(/\/+$/, '')}/subjects`, {
      headers: { accept: 'application/vnd.schemaregistry.v1+json' },
      signal: AbortSignal.timeout(5_000),
    });
    if (response.status !== 200) return { ok: false, reason: `HTTP ${response.status}` };
    const subjects = (await response.json()) as unknown[];
    return { ok: true, detail: `${subjects.length} subject(s)` };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

export async function mongoHealth(uri: string): Promise<Health> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 3_000, connectTimeoutMS: 3_000 });
  try {
    await client.connect();
    await client.db('admin').command({ ping: 1 });
    const info = await client.db('admin').command({ buildInfo: 1 });
    return { ok: true, detail: `wire version of MongoDB ${String(info['version'])}` };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  } finally {
    await client.close().catch(() => undefined);
  }
}

export async function stackHealth(connections: ConnectionStrings): Promise<Record<'kafka' | 'registry' | 'mongodb', Health>> {
  const [kafka, registry, mongodb] = await Promise.all([
    kafkaHealth(connections.KAFKA_BROKERS),
    registryHealth(connections.SCHEMA_REGISTRY_URL),
    mongoHealth(connections.MONGODB_URI),
  ]);
  return { kafka, registry, mongodb };
}
