export { createWritebackProcessor, WRITEBACK_VIEW } from './processor.js';
export type { WritebackProcessorDeps, WritebackState, TargetEntry, TargetStatus } from './processor.js';
export { defineWritebackTopology, WRITEBACK_TOPOLOGY_NAME } from './topology.js';
export { BuiltinMeetingProvider } from './provider.js';
export type { MeetingProvider, MeetingKind, JoinRequest, IssuedJoinDetails } from './provider.js';
export { MARKER_PROPERTY_ID } from './graph-port.js';
export type { WritebackGraph, WritebackGraphSource } from './graph-port.js';
export { MongoWritebackSettings, setWritebackSettings, normalizeSettings, DEFAULT_WRITEBACK_SETTINGS, WRITEBACK_SETTINGS_COLLECTION, MAX_HEADER_FOOTER_CHARS } from './settings.js';
export type { WritebackOrgSettings, WritebackSettingsSource, KeywordAction, JoinBlockText } from './settings.js';
export { renderBlock, renderHtml, renderText, findBlocks, removeBlocks, upsertBlock, HTML_BEGIN, HTML_END, TEXT_BEGIN, TEXT_END } from './block.js';
export type { BodyType, BlockInput } from './block.js';
export { chooseLanguage, supportedLanguage, headerFooterOf, textsOf, SUPPORTED_LANGUAGES } from './locales.js';
export type { JoinTexts } from './locales.js';
export { writebackOptionsSchema } from './options.js';
export type { WritebackOptions, WritebackOptionsInput } from './options.js';
export {
  WritebackInputError, WritebackConflictError, WritebackNotConfiguredError, WritebackSettingsUnavailableError, MeetingProviderError, MeetingProviderUnavailableError,
} from './errors.js';
