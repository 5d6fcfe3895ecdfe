export { buildApi } from './app.js';
export type { BuildApiExtras } from './app.js';
export { apiOptionsSchema, apiServiceConfigSchema } from './options.js';
export type { ApiOptions, ApiOptionsInput, ApiServiceConfig } from './options.js';
export {
  ApiError, InvalidInputError, UnauthenticatedError, TokenExpiredError, ForbiddenError, NotFoundError, CsrfError, SignInError,
  RateLimitedError, BodyTooLargeError, GraphRefusedError, InternalError, ServiceUnavailableError,
} from './errors.js';
export { TokenService } from './tokens.js';
export type { Principal, PrincipalKind } from './tokens.js';
export type {
  ApiDeps, ViewsReader, FieldDecryptor, MeetingViewEntry, BookingViewEntry, DeviceBookingsView, PresenceView, ProvisioningService,
  UserConnections, SettingsStore, OrgSettings, CalendarActions, ActionResult, RespondInput, CreateMeetingInput, ScheduleInput,
  ScheduleInformation, DateTimeTz, ApiStateStore, TenantSummary, TenantState, MailboxStatus, MailboxState, MailboxStatusSnapshot,
  RoomWarning, TestMailboxResult, ConsentOutcome, AdminIdentity, ShowAs,
} from './ports.js';
export { MemoryStateStore, MemoryViews, MemoryProvisioning, MemoryConnections, MemorySettings, MemoryCalendarActions, DEFAULT_SETTINGS } from './memory.js';
export type { MemoryOrg } from './memory.js';
export { MongoViewsReader, MongoStateStore, MongoSettingsStore, DEFAULT_VIEW_NAMES } from './mongo.js';
export type { DayReads, MongoViewNames, MongoViewsReaderOptions } from './mongo.js';
export { StoredViewCache } from './view-cache.js';
export type { CacheItem, StoredViewCacheOptions } from './view-cache.js';
