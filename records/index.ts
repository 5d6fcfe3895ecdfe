export {
  rawEventSealContext,
  settingsSealContext,
  rawRecordSealContext,
  settingsRecordSealContext,
  sealRawEvent,
  unsealRawEvent,
  sealRawSettings,
  unsealRawSettings,
} from './sealing.js';
export type { RawEventInput, RawSettingsInput, UnsealOptions } from './sealing.js';
