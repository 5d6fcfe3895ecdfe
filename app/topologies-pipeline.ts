import type { Db } from 'mongodb';
import type { Clock } from '../common/index.js';
import type { Keyring } from '../kms/index.js';
import { defineMaterializeTopology } from '../processors/materialize/index.js';
import { defineObtpTopology, MongoDeviceRegistry, obtpOptionsSchema, type ObtpOptionsInput } from '../processors/obtp/index.js';
import { defineOooTopology } from '../processors/ooo/index.js';
import {
  BuiltinMeetingProvider, defineWritebackTopology, MongoWritebackSettings, writebackOptionsSchema,
  type MeetingProvider, type WritebackGraphSource, type WritebackOptionsInput,
} from '../processors/writeback/index.js';
import type { Topology } from '../runtime/index.js';

/**
 * The downstream topologies of the meetings pipeline, each its own consumer group:
 * calendar.meetings.v1 → obtp (→ obtp.devices.v1, device bookings) and → materialize (user meeting
 * lists); mailbox.settings.raw.v1 → ooo (→ presence.v1, presence); calendar.meetings.v1 → writeback (Graph
 * PATCHes of keyword meetings, `writeback_meetings`) when Graph access is given. The composition root starts one
 * Runtime per topology.
 */
export interface PipelineTopologiesInput {
  readonly db: Db;
  readonly clock: Clock;
  readonly keyring: Keyring;
  readonly obtp?: ObtpOptionsInput;
  /** Write-back runs when Graph access is given (it needs an app registration). */
  readonly writeback?: { readonly graph: WritebackGraphSource; readonly options?: WritebackOptionsInput; readonly provider?: MeetingProvider };
  readonly maxConcurrentKeys?: number;
}

export function definePipelineTopologies(input: PipelineTopologiesInput): { obtp: Topology; ooo: Topology; materialize: Topology; writeback?: Topology } {
  const obtp = obtpOptionsSchema.parse(input.obtp ?? {});
  const registry = new MongoDeviceRegistry({ db: input.db, clock: input.clock, cacheMs: obtp.registryCacheMs, defaultLeadMinutes: obtp.defaultJoinLeadMinutes });
  const bound = input.maxConcurrentKeys === undefined ? {} : { maxConcurrentKeys: input.maxConcurrentKeys };
  return {
    obtp: defineObtpTopology({ registry, horizonHours: obtp.horizonHours, ...bound }),
    ooo: defineOooTopology({ keyring: input.keyring, ...bound }),
    materialize: defineMaterializeTopology(bound),
    ...(input.writeback === undefined ? {} : { writeback: writebackTopology(input, input.writeback, bound) }),
  };
}

function writebackTopology(input: PipelineTopologiesInput, wb: NonNullable<PipelineTopologiesInput['writeback']>, bound: { maxConcurrentKeys?: number }): Topology {
  const o = writebackOptionsSchema.parse(wb.options ?? {});
  return defineWritebackTopology({
    graph: wb.graph,
    settings: new MongoWritebackSettings({ db: input.db, clock: input.clock, cacheMs: o.settingsCacheMs, defaultSiteDomain: o.defaultSiteDomain }),
    provider: wb.provider ?? new BuiltinMeetingProvider(),
    maxConflictRetries: o.maxConflictRetries,
    transientRetries: o.transientRetries,
    transientRetryMs: o.transientRetryMs,
    profileCacheMs: o.profileCacheMs,
    ...bound,
  });
}
