/** A problem+json answer of the REST api, thrown by `RestClient` for any status ≥ 400. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    const detail = (body as { detail?: unknown } | null)?.detail;
    super(`HTTP ${status}: ${typeof detail === 'string' ? detail : JSON.stringify(body)}`);
    this.name = 'RestError';
  }
}

/** A small client of the api's REST resources (`/v1/...`), sending the API key. */
export class RestClient {
  constructor(
    readonly baseUrl: string,
    readonly apiKey: string,
  ) {}

  /** `path` like `/v1/torrents`; resolves with the parsed JSON (undefined for 204), throws RestError. */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { 'x-api-key': this.apiKey };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (res.status >= 400) throw new RestError(res.status, parsed);
    return parsed as T;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }
}
