import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../common/index.js';
import { Keyring, MemoryDataKeyStore, MemoryTenantKeyStore, TenantKeyVault } from '../kms/index.js';
import { rawEventSealContext } from '../records/index.js';
import { decryptMeeting, encryptMeeting } from '../processors/encrypt/index.js';
import type { MeetingOccurrence, ParsedMeeting } from '../schemas/index.js';
import type { BenchReport, BenchRow } from './report.js';

/**
 * `npm run bench -- crypto`: throughput of kms sealing/unsealing and of field encryption of a
 * meeting against raw AES-256-GCM (node:crypto) on the same bytes in the same run. The ratio is
 * kms ops/s ÷ raw ops/s (1.0 = no overhead). Keys come from in-memory stores so the numbers measure
 * the crypto path (format, associated data, lease bookkeeping), not MongoDB.
 */

interface Measured {
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

async function slice(fn: () => unknown, durationMs: number, samples: number[]): Promise<{ ops: number; elapsed: number }> {
  const start = performance.now();
  let ops = 0;
  while (performance.now() - start < durationMs) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
    ops += 1;
  }
  return { ops, elapsed: performance.now() - start };
}

function summarize(ops: number, elapsed: number, samples: number[]): Measured {
  samples.sort((a, b) => a - b);
  const pick = (q: number): number => Number((samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0).toFixed(4));
  return { opsPerSec: Math.round((ops / elapsed) * 1000), p50Ms: pick(0.5), p99Ms: pick(0.99) };
}

/**
 * Measures a baseline and a case side by side: alternating slices (A B A B ...) so that load from
 * other processes on a shared machine hits both alike.
 */
async function compare(baseline: () => unknown, candidate: () => unknown, durationMs: number, rounds = 6): Promise<[Measured, Measured]> {
  for (let i = 0; i < 300; i += 1) {
    await baseline();
    await candidate();
  }
  const totals: [{ ops: number; elapsed: number; samples: number[] }, { ops: number; elapsed: number; samples: number[] }] = [
    { ops: 0, elapsed: 0, samples: [] },
    { ops: 0, elapsed: 0, samples: [] },
  ];
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, fn] of [baseline, candidate].entries()) {
      const total = totals[index as 0 | 1];
      const { ops, elapsed } = await slice(fn, durationMs / rounds, total.samples);
      total.ops += ops;
      total.elapsed += elapsed;
    }
  }
  return [summarize(totals[0].ops, totals[0].elapsed, totals[0].samples), summarize(totals[1].ops, totals[1].elapsed, totals[1].samples)];
}

function rawEncrypt(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

function rawDecrypt(key: Buffer, blob: Buffer, aad: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(0, 12));
  decipher.setAAD(aad);
  decipher.setAuthTag(blob.subarray(blob.length - 16));
  return Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]);
}

function sampleMeeting(bodyBytes: number): ParsedMeeting {
  const start = Date.UTC(2026, 0, 6, 9);
  return {
    tenantId: 'tenant-bench',
    mailboxId: 'mbx-1',
    meetingId: 'evt-1',
    seriesMasterId: null,
    version: 1,
    op: 'UPSERT',
    start,
    end: start + 1_800_000,
    isAllDay: false,
    isCancelled: false,
    isPrivate: false,
    isOrganizer: true,
    showAs: 'BUSY',
    providerKind: 'WEBEX',
    intent: null,
    attendeeCount: 5,
    roomMailboxIds: ['room-1'],
    sourceFetchedAt: start,
    sensitive: {
      subject: 'Quarterly business review with the regional teams',
      body: 'x'.repeat(bodyBytes),
      location: 'Building 4, Room 401 / https://example.webex.com/meet/ada',
      organizer: { name: 'Ada Lovelace', address: 'ada@example.com' },
      attendees: Array.from({ length: 5 }, (_, i) => ({ name: `Person ${i}`, address: `p${i}@example.com`, type: 'required' as const, response: 'accepted' as const })),
      joinDetails: { provider: 'WEBEX', url: 'https://example.webex.com/meet/ada', sipUri: 'ada@example.webex.com', meetingNumber: '123456789', foundIn: 'body' },
    },
  };
}

function meetingFieldBytes(meeting: ParsedMeeting): Buffer[] {
  const s = meeting.sensitive;
  return [s.subject, s.body, s.location, JSON.stringify(s.organizer), JSON.stringify(s.attendees), JSON.stringify(s.joinDetails)].map((text) =>
    Buffer.from(text ?? '', 'utf8'),
  );
}

export async function run(opts: { durationMs?: number } = {}): Promise<BenchReport> {
  const durationMs = opts.durationMs ?? 3_000;
  const clock = new ManualClock();
  const vault = new TenantKeyVault({ masterKey: randomBytes(32), store: new MemoryTenantKeyStore(), clock });
  const keyring = new Keyring({ store: new MemoryDataKeyStore(), providers: { cloud: vault }, clock, options: { reserveBlock: 65_536 } });
  const rawKey = randomBytes(32);
  const aad = Buffer.from('tenant-bench|tenant-bench/mbx-1|evt-1|field');
  const rows: BenchRow[] = [];

  // Whole-record sealing (connector) and unsealing (processors) of a Graph event.
  for (const size of [1_024, 16_384]) {
    const record = randomBytes(size);
    const ctx = rawEventSealContext('tenant-bench', 'mbx-1', 'evt-1');
    const sealed = await keyring.seal(ctx, record);
    const rawSealed = rawEncrypt(rawKey, record, aad);
    const [baseSeal, seal] = await compare(() => rawEncrypt(rawKey, record, aad), () => keyring.seal(ctx, record), durationMs);
    const [baseOpen, open] = await compare(() => rawDecrypt(rawKey, rawSealed, aad), () => keyring.unseal(ctx, sealed), durationMs);
    const label = `${size / 1024} KiB`;
    rows.push({ case: `raw aes-256-gcm encrypt ${label}`, ...baseSeal });
    rows.push({ case: `kms seal ${label}`, ...seal, baseline: `raw aes-256-gcm encrypt ${label}`, ratio: Number((seal.opsPerSec / baseSeal.opsPerSec).toFixed(3)) });
    rows.push({ case: `raw aes-256-gcm decrypt ${label}`, ...baseOpen });
    rows.push({ case: `kms unseal ${label}`, ...open, baseline: `raw aes-256-gcm decrypt ${label}`, ratio: Number((open.opsPerSec / baseOpen.opsPerSec).toFixed(3)) });
  }

  // Field-by-field encryption of a meeting (6 fields) against 6 raw encryptions of the same bytes.
  const meeting = sampleMeeting(2_048);
  const fields = meetingFieldBytes(meeting);
  const occurrence: MeetingOccurrence = await encryptMeeting(meeting, keyring);
  const rawFields = fields.map((bytes) => rawEncrypt(rawKey, bytes, aad));
  const [baseEnc, enc] = await compare(() => fields.map((bytes) => rawEncrypt(rawKey, bytes, aad)), () => encryptMeeting(meeting, keyring), durationMs);
  const [baseDec, dec] = await compare(() => rawFields.map((blob) => rawDecrypt(rawKey, blob, aad)), () => decryptMeeting(occurrence, keyring), durationMs);
  rows.push({ case: 'raw aes-256-gcm 6 fields encrypt', ...baseEnc, note: 'same bytes as the meeting fields (2 KiB body)' });
  rows.push({ case: 'encryptMeeting (6 fields)', ...enc, baseline: 'raw aes-256-gcm 6 fields encrypt', ratio: Number((enc.opsPerSec / baseEnc.opsPerSec).toFixed(3)), note: 'includes serialization, lease, associated data, format' });
  rows.push({ case: 'raw aes-256-gcm 6 fields decrypt', ...baseDec });
  rows.push({ case: 'decryptMeeting (6 fields)', ...dec, baseline: 'raw aes-256-gcm 6 fields decrypt', ratio: Number((dec.opsPerSec / baseDec.opsPerSec).toFixed(3)), note: 'includes key lookup (cached), parsing, JSON' });
  return { name: 'crypto', rows };
}

// Run directly: `npx tsx bench/crypto.ts [durationMs]`.
if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const report = await run({ durationMs: Number(process.argv[2] ?? 3_000) });
  console.table(report.rows);
}
