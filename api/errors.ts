import { HcError, type HcErrorCode, type HcErrorOptions } from '../common/index.js';

/**
 * Errors the HTTP API answers with. Each carries its HTTP status; the response body is
 * `{ error: { code, message } }` and never holds a stack, a token, a secret or a cause's text.
 */
export class ApiError extends HcError {
  readonly statusCode: number;

  constructor(code: HcErrorCode, statusCode: number, message: string, options: HcErrorOptions = {}) {
    super(code, message, options);
    this.statusCode = statusCode;
  }
}

export class InvalidInputError extends ApiError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_API_INVALID_INPUT', 400, message, options);
  }
}

export class UnauthenticatedError extends ApiError {
  constructor(message = 'A valid service token is required: send "Authorization: Bearer <token>" with a token issued by your administrator.', options: HcErrorOptions = {}) {
    super('HC_ERR_API_UNAUTHENTICATED', 401, message, options);
  }
}

export class TokenExpiredError extends ApiError {
  constructor(options: HcErrorOptions = {}) {
    super('HC_ERR_API_TOKEN_EXPIRED', 401, 'The service token has expired; ask your administrator for a new one.', options);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message = 'This token or session may not read or change this resource (other organisation, user or device).', options: HcErrorOptions = {}) {
    super('HC_ERR_API_FORBIDDEN', 403, message, options);
  }
}

export class NotFoundError extends ApiError {
  constructor(message = 'No such resource; check the address.', options: HcErrorOptions = {}) {
    super('HC_ERR_API_NOT_FOUND', 404, message, options);
  }
}

export class CsrfError extends ApiError {
  constructor() {
    super('HC_ERR_API_CSRF', 403, 'The form is stale or was not sent from this site; reload the page and submit it again.');
  }
}

export class SignInError extends ApiError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_API_SIGN_IN', 400, message, options);
  }
}

export class RateLimitedError extends ApiError {
  constructor(retryAfterSeconds: number) {
    super('HC_ERR_API_RATE_LIMITED', 429, `Too many requests; retry after ${retryAfterSeconds} seconds.`, { retryable: true, details: { retryAfterSeconds } });
  }
}

export class BodyTooLargeError extends ApiError {
  constructor(limit: number) {
    super('HC_ERR_API_BODY_TOO_LARGE', 413, `The request body is larger than ${limit} bytes.`);
  }
}

/** Microsoft 365 refused a calendar action; the reason is Graph's own (code and message). */
export class GraphRefusedError extends ApiError {
  constructor(status: number, reason: string, graphCode: string) {
    super('HC_ERR_API_GRAPH_REFUSED', status >= 400 && status < 500 ? 422 : 502, `Microsoft 365 refused the action: ${reason}`, { details: { graphStatus: status, graphCode } });
  }
}

export class InternalError extends ApiError {
  constructor(requestId: string, options: HcErrorOptions = {}) {
    super('HC_ERR_API_INTERNAL', 500, `The service failed to answer; it is logged under request id ${requestId}. Retry later.`, { ...options, retryable: true });
  }
}

export class ServiceUnavailableError extends ApiError {
  constructor(message: string, options: HcErrorOptions = {}) {
    super('HC_ERR_API_UNAVAILABLE', 503, message, { ...options, retryable: true });
  }
}
