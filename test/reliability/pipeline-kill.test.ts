import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USER_MEETINGS_VIEW } from '../../processors/materialize/index.js';
import { DEVICE_BOOKINGS_VIEW } from '../../processors/obtp/index.js';
import { formatHits } from '../support/canary.js';
import { testStack, withAdmin } from '../support/stack.js';
import { waitFor } from '../integration/runtime/helpers.js';
import { DAY, HOUR, MODEL_TENANTS, PIPELINE_RUNTIME_OPTIONS, PipelineHarness, T0, type Snapshot } from '../integration/pipeline/harness.js';
import { recordOutcome } from './summary.js';

/**
 * Issue 14 point 5, "with a worker SIGKILLed mid-run": the pipeline model check's scenario
 * (test/integration/pipeline) with every topology in one worker process (meetings, meeting-views,
 * device view, ooo), SIGKILLed in the middle of each phase — the seed, the edits, time passing (a
 * Join button due), the replays twice shuffled — and replaced by a new one. After each phase every
 * view and every device stream equals the independent model: nothing lost, nothing applied twice
 * (a re-emitted device event after a kill is at-least-once by contract; the device view skips it by
 * its mailbox sequence and the gateway's fold by version). Then the canary scan, the workers' logs
 * included. It runs on the seeded tenant and on the held-out one (harness.ts), each its own row of
 * the summary. A run costs a minute or two (each kill waits for the group session and the
 * partition leases to expire), so it lives in the reliability suite.
 */
const WORKER = fileURLToPath(new URL('../integration/pipeline/fixtures/worker.ts', import.meta.url));

interface Worker {
  readonly child: ChildProcess;
  readonly started: Promise<void>;
  readonly exited: Promise<void>;
}

describe.each(MODEL_TENANTS)('reliability – pipeline model check with the worker SIGKILLed mid-phase ($tenant)', ({ size, heldOut }) => {
  const scenario = `pipeline model check + worker SIGKILLs${heldOut ? ', held-out tenant' : ''}`;
  const h = new PipelineHarness('pipe-kill');
  const workers: Worker[] = [];
  let current: Worker | undefined;

  beforeAll(async () => {
    await h.setUp(size);
  });

  afterAll(async () => {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await withAdmin(async (admin) => admin.deleteTopics({ topics: (await admin.listTopics()).filter((t) => t.startsWith(h.prefix)) }).catch(() => undefined));
    await h.tearDown();
  });

  /** A new worker process on the test's clock; its log lines go to the run's log capture. */
  function spawnWorker(): Worker {
    const stack = testStack();
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: {
        ...process.env,
        KAFKA_BROKERS: stack.kafkaBrokers.join(','), MONGODB_URI: stack.mongodbUri, SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
        HC_PREFIX: h.prefix, HC_DB: h.dbName, HC_OPTIONS: JSON.stringify(PIPELINE_RUNTIME_OPTIONS), HC_NOW: String(h.clock.now()),
        HYCAL_KMS_MASTER_KEY: h.masterKey,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin?.on('error', () => undefined);
    const stderr: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => {
      h.logs.write(chunk);
      stderr.push(chunk.toString());
    });
    const started = new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('STARTED')) resolve();
      });
      child.on('exit', (code, signal) => reject(new Error(`pipeline worker exited before it started (${code ?? signal}): ${stderr.join('').slice(-2_000)}`)));
    });
    started.catch(() => undefined);
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const worker = { child, started, exited };
    workers.push(worker);
    current = worker;
    return worker;
  }

  /** The worker's clock follows the test's. */
  function tell(): void {
    current?.child.stdin?.write(`NOW ${h.clock.now()}\n`);
  }

  let kills = 0;
  const inFlightAtKill: string[] = [];
  /** Once the phase is under way (a new device event, or `settleMs` without one), SIGKILL the worker and start another. */
  async function killMidPhase(phase: string, devicesAtStart: number, settleMs = 1_500): Promise<void> {
    await waitFor(`${phase}: the first device event`, () => (h.deviceRecords > devicesAtStart ? true : undefined), settleMs, 20).catch(() => undefined);
    const victim = current!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    kills += 1;
    inFlightAtKill.push(`${phase}: ${h.deviceRecords - devicesAtStart} device events out`);
    await spawnWorker().started;
  }

  it('reliability – the pipeline worker SIGKILLed in the seed, the edits, time passing and the replays: every view and device stream still equals the model, 0 canary hits', async () => {
    const started = Date.now();
    await spawnWorker().started;
    await h.collectDeviceEvents();
    // Every phase is compared (softly, so that a failed run still writes its row of the summary).
    const phases: { what: string; equal: boolean }[] = [];
    const converged = async (what: string): Promise<Snapshot> => {
      const snap = await h.converge(what, 120_000);
      phases.push({ what, equal: snap.equal });
      console.log(`pipeline-kill: ${what}: ${snap.equal ? 'equal to the model' : 'NOT equal to the model'} at ${Math.round((Date.now() - started) / 1000)} s`);
      expect.soft(snap.actual, what).toEqual(snap.expected);
      return snap;
    };

    // ---- Seed: killed once the first device events are out.
    let mark = h.deviceRecords;
    const seed = [...(await h.syncCalendars()), ...(await h.syncSettings())];
    tell();
    await h.feed(seed);
    await killMidPhase('seed', mark, 20_000);
    await converged('seeded tenant, worker killed mid-phase');

    // ---- Edits, cancellations, a deleted series, room declines, OOO changes: killed mid-phase.
    const { privateId, allDayId, user } = h.edit();
    mark = h.deviceRecords;
    const edits = [...(await h.syncCalendars()), ...(await h.syncSettings(h.oooUsers()))];
    tell();
    await h.feed(edits);
    await killMidPhase('edits', mark, 20_000);
    const edited = (await converged('after edits, worker killed mid-phase')).expected;
    expect.soft(Object.entries(edited).filter(([k]) => k.startsWith('stream')).flatMap(([, v]) => v as { id: string; titled: boolean }[]).find((b) => b.id === privateId)?.titled).toBe(false);
    expect.soft(Object.entries(edited[`days ${user}`] as Record<string, string[]>).filter(([, ids]) => ids.includes(allDayId)).map(([day]) => day)).toEqual(['2026-03-04', '2026-03-05', '2026-03-06']);

    // ---- Time passes; the worker is killed while the first step's Join buttons are being shown.
    let shownSeen = 0;
    let step = 0;
    for (const by of [HOUR + 1_000, HOUR + 30 * 60_000, 3 * HOUR, 2 * DAY, 2 * DAY]) {
      mark = h.deviceRecords;
      h.clock.advance(by);
      tell();
      if (step === 0) await killMidPhase('time passing', mark);
      step += 1;
      const at = (await converged(`at T0 + ${(h.clock.now() - T0) / 60_000} min`)).expected;
      shownSeen += Object.entries(at).filter(([k]) => k.startsWith('stream')).flatMap(([, v]) => v as { shown: boolean }[]).filter((b) => b.shown).length;
    }
    expect.soft(shownSeen).toBeGreaterThan(0);

    // ---- Every record again, twice, shuffled across keys; the worker is killed while they are read.
    const replays = h.replays();
    await h.send(replays);
    await killMidPhase('replays', h.deviceRecords, 500);
    await waitFor('the replays to be consumed and committed by every topology', async () => {
      const lag = await withAdmin(async (admin) => {
        let behind = 0;
        for (const [topology, topic] of [['meetings', 'calendar.raw.v1'], ['meeting-views', 'calendar.meetings.v1'], ['obtp-device-view', 'obtp.devices.v1'], ['ooo', 'mailbox.settings.raw.v1']] as const) {
          const ends = await admin.fetchTopicOffsets(`${h.prefix}${topic}`);
          const [committed] = await admin.fetchOffsets({ groupId: `${h.prefix}${topology}`, topics: [`${h.prefix}${topic}`] });
          for (const e of ends) behind += Number(e.high) - Math.max(0, Number(committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? 0));
        }
        return behind;
      });
      return lag === 0 ? true : undefined;
    }, 120_000, 250).catch(() => undefined);
    const final = await converged('after replays, worker killed mid-phase');

    // Nothing lost, nothing applied twice: every listed meeting and booking once, as the model says.
    let lost = 0;
    let twice = 0;
    for (const [key, want] of Object.entries(final.expected)) {
      if (!Array.isArray(want) && key.startsWith('days')) {
        for (const [day, ids] of Object.entries(want as Record<string, string[]>)) {
          const got = (final.actual[key] as Record<string, string[]>)[day] ?? [];
          lost += ids.filter((id) => !got.includes(id)).length;
          twice += got.length - new Set(got).size;
        }
      } else if (Array.isArray(want)) {
        const got = (final.actual[key] as { id: string }[]).map((b) => b.id);
        lost += (want as { id: string }[]).filter((b) => !got.includes(b.id)).length;
        twice += got.length - new Set(got).size;
      }
    }
    const dayDocs = await h.db.collection(USER_MEETINGS_VIEW).countDocuments();
    const deviceDocs = await h.db.collection(DEVICE_BOOKINGS_VIEW).countDocuments();
    // At-least-once emits: device events written again by a worker that replaced a killed one.
    const reEmitted = [...h.deviceEvents.values()].reduce((sum, events) => sum + events.length - new Set(events.map((e) => `${e.mailboxId}|${e.version}|${e.action}|${e.bookingId}`)).size, 0);

    current!.child.kill('SIGKILL');
    await current!.exited;
    const kafkaScan = await h.canaries.scanKafka(h.kafka, h.prefix);
    const hits = [...kafkaScan.hits, ...(await h.canaries.scanMongo(h.mongo, [h.dbName])).hits, ...h.canaries.scanLogs(h.logs)];
    const equal = phases.every((p) => p.equal);
    recordOutcome({
      scenario, survived: `${kills} SIGKILLs of the pipeline worker (all topologies in one process), one mid-phase in each of seed, edits, time passing, replays`,
      changes: h.produced.length + replays.length, lost, appliedTwice: twice, viewsEqualModel: equal, canaryHits: hits.length,
      passed: kills === 4 && equal && lost === 0 && twice === 0 && hits.length === 0, seconds: Math.round((Date.now() - started) / 1000),
      notes: `views and device streams equal to the model after ${phases.filter((p) => p.equal).length} of ${phases.length} phases (${dayDocs} day documents, ${deviceDocs} device views); ${reEmitted} device events re-emitted after kills, skipped by version; in flight at the kills: ${inFlightAtKill.join('; ')}; ${kafkaScan.records} records and ${h.logs.lines.length} log lines scanned`,
    });
    expect(kills).toBe(4);
    expect(phases.filter((p) => !p.equal).map((p) => p.what)).toEqual([]);
    expect({ lost, twice }).toEqual({ lost: 0, twice: 0 });
    expect(hits, formatHits(hits)).toHaveLength(0);
    expect(kafkaScan.records).toBeGreaterThan(h.produced.length);
  }, 900_000);
});
