import { HcError, type HcErrorOptions } from '../../common/index.js';

/** Typed failures of the connector's own flows (consent, provisioning); Graph's own failures live in graph/errors.ts. */

/** An admin-consent or sign-in callback carried a state this service did not sign (tampered or expired). */
export class ConsentStateInvalidError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_CONSENT_STATE_INVALID', message, options);
  }
}

/** The administrator or user declined consent, or the identity platform answered the callback with an error. */
export class ConsentDeniedError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_CONSENT_DENIED', message, options);
  }
}

/** No tenant of the organisation owns the address's domain. */
export class UnknownDomainError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_UNKNOWN_DOMAIN', message, options);
  }
}

/** A tenant, mailbox or credential the call names is not provisioned. */
export class NotProvisionedError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_GRAPH_NOT_PROVISIONED', message, options);
  }
}

/** The webhook holds as many notifications waiting for Kafka as it may: it answers 503 and Graph redelivers. */
export class WebhookOverloadedError extends HcError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_WEBHOOK_OVERLOADED', message, options);
  }
}
