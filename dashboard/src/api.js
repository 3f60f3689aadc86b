// The metrics API client: one place that builds query strings, sends the admin key when one is
// stored, and turns error answers into Error objects that carry the API's errorType.

export class APIError extends Error {
  constructor(status, errorType, message, body = null) {
    super(message);
    this.status = status;
    this.errorType = errorType;
    // Dashboard.Warming carries how far a cold range has been read: { done, total }.
    this.progress = body && Number.isFinite(body.done) && Number.isFinite(body.total)
      ? { done: body.done, total: body.total } : null;
  }
}

// A cold range is read across successive calls (each keeps what it read); at most this many.
const MAX_WARMING_CALLS = 40;

// Like `call`, but follows Dashboard.Warming: calls again at once, reporting the progress.
export async function following(call, onProgress) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (error.errorType !== "Dashboard.Warming" || attempt >= MAX_WARMING_CALLS) throw error;
      onProgress?.(error.progress);
    }
  }
}

function headers() {
  const key = window.localStorage.getItem("switchyard.adminKey");
  const h = { Accept: "application/json" };
  if (key) h["x-admin-key"] = key;
  return h;
}

async function answer(response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch (e) {
    throw new APIError(response.status, "Dashboard.BadAnswer", `not JSON (HTTP ${response.status})`);
  }
  if (!response.ok) {
    throw new APIError(response.status, body?.errorType ?? "HTTP", body?.errorMessage ?? `HTTP ${response.status}`,
      body);
  }
  return body;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  return q.toString();
}

export async function get(path, params = {}) {
  const qs = query(params);
  return answer(await fetch(qs ? `${path}?${qs}` : path, { headers: headers() }));
}

export async function post(path, body) {
  return answer(
    await fetch(path, {
      method: "POST",
      headers: { ...headers(), "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }),
  );
}
