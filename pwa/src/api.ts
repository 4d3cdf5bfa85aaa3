// Small helpers around fetch for Campo's REST API (same origin; the session cookie travels with
// every request).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** Fetches JSON; throws ApiError with the server's Spanish message, or TypeError when offline. */
export async function getJson<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, { credentials: "same-origin", ...init })
  if (!response.ok) throw await apiError(response)
  return (await response.json()) as T
}

export async function postJson<T>(path: string, body: unknown): Promise<T> {
  return getJson<T>(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  })
}

export async function apiError(response: Response): Promise<ApiError> {
  let message = `Error ${response.status}`
  try {
    const body = (await response.json()) as { error?: { message?: string } }
    if (body.error?.message) message = body.error.message
  } catch {
    // Not JSON: keep the status.
  }
  return new ApiError(response.status, message)
}
