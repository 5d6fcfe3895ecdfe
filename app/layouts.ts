import { recordKeyOf, type DocumentLayout } from '../kms/index.js';
import { CARD_FIELD, MEETING_ENCRYPTED_FIELDS } from '../schemas/index.js';

/**
 * Layout of documents that carry a meeting's encrypted fields under the calendar.meetings.v1
 * names, with `tenantId`, `mailboxId` and `meetingId` beside them (materialized views follow it).
 */
export const meetingDocumentLayout: DocumentLayout = {
  // The card (schemas/card.ts) too: it is re-encrypted with the fields it repeats.
  fields: [...MEETING_ENCRYPTED_FIELDS, CARD_FIELD],
  tenantOf: (doc) => (typeof doc['tenantId'] === 'string' ? doc['tenantId'] : null),
  context: (doc, field) => ({
    tenantId: String(doc['tenantId']),
    recordKey: recordKeyOf(String(doc['tenantId']), String(doc['mailboxId'])),
    entityId: String(doc['meetingId']),
    field,
  }),
};
