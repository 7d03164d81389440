import { CliError, type Connection } from './config.js';

/** A problem+json error of the api. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(detail, 1);
  }
}

/** The REST api (`/v1`) over fetch, with the key in `X-API-Key`. */
export class ApiClient {
  constructor(readonly connection: Connection) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.connection.url}${path}`, {
        method,
        headers: {
          'x-api-key': this.connection.key,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new CliError(`cannot reach the api at ${this.connection.url} (${cause}): is bitween running?`);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!res.ok) {
      const detail = (parsed as { detail?: unknown } | undefined)?.detail;
      throw new ApiError(
        res.status,
        typeof detail === 'string' ? detail : `HTTP ${res.status}: ${text.slice(0, 200)}`,
      );
    }
    return parsed as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  /** The raw response of a streaming request (SSE). */
  async stream(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(`${this.connection.url}${path}`, {
        headers: { 'x-api-key': this.connection.key, ...headers },
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw err;
      throw new CliError(`cannot reach the api at ${this.connection.url}: ${(err as Error).message}`);
    }
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { detail?: string };
      throw new ApiError(res.status, body.detail ?? `HTTP ${res.status}`);
    }
    return res;
  }
}
