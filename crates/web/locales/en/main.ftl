# Error messages: one per stable error code. { $detail } is a safe detail.
error-invalid_input = Invalid input: { $field } — { $detail }
error-malformed_request = The request is malformed: { $detail }
error-unauthenticated = Please sign in first.
error-login_failed = Wrong username or password.
error-rate_limited = Too many attempts; please try again later.
error-account_disabled = This account is disabled.
error-forbidden = You are not allowed to do this.
error-not_found = The requested object was not found.
error-outside_territory = This location lies outside the city's territory. { $detail }
error-conflict = Conflict: { $detail }
error-import_rejected = Import rejected; nothing was imported: { $detail }
error-internal = Internal server error; please try again later. If it persists, contact the administrator with the request id.
error-payload_too_large = Too large: { $detail }
error-unsupported_media_type = Unsupported file type: { $detail }
error-unavailable = The service is temporarily unavailable; please try again later.
nearest-unit = Nearest unit: { $name } ({ $code }).
