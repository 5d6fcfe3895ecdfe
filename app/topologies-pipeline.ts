import type { Db } from 'mongodb';
import type { Clock } from '../common/index.js';
import type { Keyring } from '../kms/index.js';
import { createMaterializeProcessor, MongoDayReader } from '../processors/materialize/index.js';
import { createObtpProcessor, defineDeviceViewTopology, MongoDeviceRegistry, MongoDeviceViewReader, obtpOptionsSchema, type ObtpOptionsInput } from '../processors/obtp/index.js';
import { defineOooTopology } from '../processors/ooo/index.js';
import {
  BuiltinMeetingProvider, defineWritebackTopology, MongoWritebackSettings, writebackOptionsSchema,
  type MeetingProvider, type WritebackGraphSource, type WritebackOptionsInput,
} from '../processors/writeback/index.js';
import { defineTopology, type Processor, type Topology } from '../runtime/index.js';

/**
 * The downstream topologies of the meetings pipeline, each its own consumer group:
 * - `meeting-views` (keyed tenantId/mailboxId): calendar.meetings.v1 → obtp (→ obtp.devices.v1)
 *   and materialize (user meeting lists) as two stages of one topology. Both keep per-mailbox
 *   state and a timer on the same key, so folding them costs one state load, one state document
 *   and one timer-index entry per mailbox instead of two, and one read of the topic.
 * - `obtp-device-view` (keyed by device): obtp.devices.v1 → the device-bookings view (one writer per
 *   device document, so a device fed by several mailboxes has one monotonic version). The view is
 *   its state: it keeps no state document and reads a device's view back when loading it.
 * - `ooo` (keyed tenantId/mailboxId): mailbox.settings.raw.v1 → presence.v1 and the presence view.
 * - `writeback` (keyed tenantId/mailboxId), when Graph access is given: calendar.meetings.v1 → Graph
 *   PATCHes of keyword meetings and the `writeback_meetings` view.
 * The composition root starts one Runtime per topology.
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

export interface PipelineTopologies {
  readonly meetingViews: Topology;
  readonly deviceView: Topology;
  readonly ooo: Topology;
  readonly writeback?: Topology;
  /** All of them, in start order. */
  readonly all: readonly Topology[];
}

export const MEETING_VIEWS_TOPOLOGY_NAME = 'meeting-views';

/** A stage that hands every input record on to the next stage before running `inner` (same name, state and timers). */
function alsoForward<V, S>(inner: Processor<V, S>): Processor<V, S> {
  return {
    name: inner.name,
    process: (record, ctx) => {
      ctx.forward(record.value);
      return inner.process(record, ctx);
    },
    ...(inner.onTimer === undefined ? {} : { onTimer: inner.onTimer.bind(inner) }),
    ...(inner.persist === undefined ? {} : { persist: inner.persist.bind(inner) }),
    ...(inner.stateful === undefined ? {} : { stateful: inner.stateful }),
  };
}

export function definePipelineTopologies(input: PipelineTopologiesInput): PipelineTopologies {
  const obtp = obtpOptionsSchema.parse(input.obtp ?? {});
  const registry = new MongoDeviceRegistry({ db: input.db, clock: input.clock, cacheMs: obtp.registryCacheMs, defaultLeadMinutes: obtp.defaultJoinLeadMinutes });
  const bound = input.maxConcurrentKeys === undefined ? {} : { maxConcurrentKeys: input.maxConcurrentKeys };
  const meetingViews = defineTopology({
    name: MEETING_VIEWS_TOPOLOGY_NAME,
    inputs: [{ topic: 'calendar.meetings.v1' }],
    stages: [alsoForward(createObtpProcessor({ registry, horizonMs: obtp.horizonHours * 3_600_000 })), createMaterializeProcessor({ days: new MongoDayReader({ db: input.db }) })],
    outputs: ['obtp.devices.v1'],
    ...bound,
  });
  const deviceView = defineDeviceViewTopology({ reader: new MongoDeviceViewReader({ db: input.db }), ...bound });
  const ooo = defineOooTopology({ keyring: input.keyring, ...bound });
  const writeback = input.writeback === undefined ? undefined : writebackTopology(input, input.writeback, bound);
  return { meetingViews, deviceView, ooo, ...(writeback === undefined ? {} : { writeback }), all: [meetingViews, deviceView, ooo, ...(writeback === undefined ? [] : [writeback])] };
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
