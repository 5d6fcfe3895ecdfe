/** Mailboxes and tenants as the store keeps them, and mailbox settings (defaults, validated PATCH). */
import type { Clock } from '../clock.js';
import { SimGraphError, type AutomaticRepliesSetting, type CloudName, type EnumCasing, type MailboxSettingsInput, type ScenarioTenant } from '../model.js';
import { toIanaZone, utcMsToZoned, zonedToUtcMs } from '../time/index.js';
import type { StoredEvent } from './event.js';
import type { MailboxSettingsPatch } from './validate.js';

export interface MailboxSettingsState {
  automaticRepliesSetting?: AutomaticRepliesSetting;
  language?: { locale: string; displayName?: string };
  timeZone?: string;
  dateFormat?: string;
  timeFormat?: string;
  workingHours?: Record<string, unknown>;
  delegateMeetingMessageDeliveryOptions?: string;
}

export class Mailbox {
  readonly events = new Map<string, StoredEvent>();
  tombstones: Map<string, StoredEvent> | undefined = undefined;
  /** Change sequence: bumped on every change in this mailbox. */
  seq = 0;
  counter = 0;
  settings: MailboxSettingsState;

  constructor(
    readonly index: number,
    readonly tenantId: string,
    readonly id: string,
    readonly userPrincipalName: string,
    readonly displayName: string,
    readonly mail: string,
    readonly kind: 'user' | 'room',
    public mailboxEnabled: boolean,
    settings: MailboxSettingsInput,
  ) {
    this.settings = settings;
  }
}

export interface TenantState {
  readonly id: string;
  readonly displayName: string;
  readonly cloud: CloudName;
  readonly domains: ScenarioTenant['domains'];
  readonly mailboxes: Map<string, Mailbox>;
  readonly byAddress: Map<string, Mailbox>;
  enumCasing: EnumCasing;
}

/** FNV-1a of a string, for seeded per-tenant choices that need no generator state. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** An enum value as this tenant writes it for this mailbox and property (see `EnumCasing`). */
export function casedEnum(tenant: TenantState, mailboxId: string, property: string, value: string): string {
  const documented = tenant.enumCasing === 'documented'
    || (tenant.enumCasing === 'mixed' && (fnv1a(`${tenant.id}|${mailboxId}|${property}`) & 1) === 1);
  return documented && value !== '' ? value.charAt(0).toUpperCase() + value.slice(1) : value;
}

/** Applies a settings PATCH (validated: scheduled replies end after they start, known time zones). */
export function patchSettings(mbx: Mailbox, patch: MailboxSettingsPatch, clock: Clock): void {
  const next: MailboxSettingsState = { ...mbx.settings };
  if (patch.automaticRepliesSetting !== undefined) {
    const current = next.automaticRepliesSetting ?? defaultAutomaticReplies(clock.now());
    const merged = { ...current, ...patch.automaticRepliesSetting };
    if (merged.status === 'scheduled') {
      const s = merged.scheduledStartDateTime;
      const e = merged.scheduledEndDateTime;
      if (s === undefined || e === undefined || zonedToUtcMs(e) <= zonedToUtcMs(s)) {
        throw new SimGraphError(400, 'ErrorInvalidParameter', 'The scheduled end time must be after the scheduled start time.');
      }
    }
    next.automaticRepliesSetting = merged;
  }
  if (patch.language !== undefined) next.language = { locale: patch.language.locale, displayName: patch.language.displayName ?? patch.language.locale };
  if (patch.timeZone !== undefined) {
    if (toIanaZone(patch.timeZone) === undefined) throw new SimGraphError(400, 'ErrorInvalidTimeZone', `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${patch.timeZone}'.`);
    next.timeZone = patch.timeZone;
  }
  if (patch.dateFormat !== undefined) next.dateFormat = patch.dateFormat;
  if (patch.timeFormat !== undefined) next.timeFormat = patch.timeFormat;
  if (patch.workingHours !== undefined) next.workingHours = patch.workingHours;
  if (patch.delegateMeetingMessageDeliveryOptions !== undefined) next.delegateMeetingMessageDeliveryOptions = patch.delegateMeetingMessageDeliveryOptions;
  mbx.settings = next;
}

/** The full settings of a mailbox, defaults filled in. */
export function settingsOf(mbx: Mailbox, clock: Clock): Required<MailboxSettingsState> & { userPurpose: string } {
  const s = mbx.settings;
  const tz = s.timeZone ?? 'UTC';
  return {
    automaticRepliesSetting: s.automaticRepliesSetting ?? defaultAutomaticReplies(clock.now()),
    language: s.language ?? { locale: 'en-US', displayName: 'English (United States)' },
    timeZone: tz,
    dateFormat: s.dateFormat ?? 'M/d/yyyy',
    timeFormat: s.timeFormat ?? 'h:mm tt',
    workingHours: s.workingHours ?? {
      daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
      startTime: '08:00:00.0000000', endTime: '17:00:00.0000000', timeZone: { name: tz },
    },
    delegateMeetingMessageDeliveryOptions: s.delegateMeetingMessageDeliveryOptions ?? 'sendToDelegateOnly',
    userPurpose: mbx.kind === 'room' ? 'room' : 'user',
  };
}

function defaultAutomaticReplies(now: number): AutomaticRepliesSetting {
  const day = Math.floor(now / 3_600_000) * 3_600_000;
  return {
    status: 'disabled', externalAudience: 'all',
    scheduledStartDateTime: utcMsToZoned(day + 86_400_000, 'UTC'),
    scheduledEndDateTime: utcMsToZoned(day + 2 * 86_400_000, 'UTC'),
    internalReplyMessage: '', externalReplyMessage: '',
  };
}
