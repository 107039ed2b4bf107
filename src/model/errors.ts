// One catalogue of API errors, shaped like Kubernetes' Status so the server can return them as-is
// and the CLI can print them without a stack trace.

export type StatusReason =
  | 'BadRequest'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'Gone'
  | 'Expired'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'Forbidden'
  | 'Unauthorized'
  | 'RequestEntityTooLarge'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

const codeFor: Record<StatusReason, number> = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
};

export interface StatusCause {
  /** Field path, e.g. `metadata.name` or `spec.templates[2].dag.tasks[0].depends`. */
  field?: string;
  message: string;
  reason?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
}

/** A Kubernetes-style API error: a stable reason, an HTTP code, and a message naming the field. */
export class ApiError extends Error {
  readonly reason: StatusReason;
  readonly code: number;
  readonly details?: StatusDetails;

  constructor(reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.reason = reason;
    this.code = codeFor[reason];
    this.details = details;
  }

  /** The `Status` body Kubernetes would send. */
  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }

  static fromStatus(status: { reason?: string; message?: string; code?: number; details?: StatusDetails }): ApiError {
    const reason = (status.reason as StatusReason) ?? reasonForCode(status.code ?? 500);
    return new ApiError(reason in codeFor ? reason : reasonForCode(status.code ?? 500), status.message ?? 'unknown error', status.details);
  }
}

function reasonForCode(code: number): StatusReason {
  const found = (Object.entries(codeFor) as [StatusReason, number][]).find(([, c]) => c === code);
  return found ? found[0] : 'InternalError';
}

export function isApiError(err: unknown, reason?: StatusReason): err is ApiError {
  return err instanceof ApiError && (reason === undefined || err.reason === reason);
}

export function notFound(kind: string, name: string, group = ''): ApiError {
  const resource = group ? `${kind}.${group}` : kind;
  return new ApiError('NotFound', `${resource} "${name}" not found`, { name, kind, group });
}

export function alreadyExists(kind: string, name: string, group = ''): ApiError {
  const resource = group ? `${kind}.${group}` : kind;
  return new ApiError('AlreadyExists', `${resource} "${name}" already exists`, { name, kind, group });
}

export function conflict(kind: string, name: string, detail: string, group = ''): ApiError {
  const resource = group ? `${kind}.${group}` : kind;
  return new ApiError(
    'Conflict',
    `Operation cannot be fulfilled on ${resource} "${name}": ${detail}`,
    { name, kind, group },
  );
}

/** An `Invalid` error: Kubernetes' message form `Kind "name" is invalid: field: message`. */
export function invalid(kind: string, name: string, causes: StatusCause[], group = ''): ApiError {
  const resource = group ? `${kind}.${group}` : kind;
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const joined = list.length === 1 ? list[0] : `[${list.join(', ')}]`;
  return new ApiError('Invalid', `${resource} "${name}" is invalid: ${joined}`, { name, kind, group, causes });
}

export function badRequest(message: string): ApiError {
  return new ApiError('BadRequest', message);
}

export function gone(message: string): ApiError {
  return new ApiError('Expired', message);
}
