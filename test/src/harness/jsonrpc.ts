export interface RpcResponse {
  jsonrpc: '2.0';
  id: number | string | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** A JSON-RPC error response, thrown by `JsonRpcClient.result`. */
export class JsonRpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    readonly rpcMessage: string,
    readonly data?: unknown,
  ) {
    super(`${method}: JSON-RPC error ${code}: ${rpcMessage}`);
    this.name = 'JsonRpcError';
  }
}

/** A JSON-RPC 2.0 client for the api service: POST `${baseUrl}/api`. */
export class JsonRpcClient {
  readonly #url: string;
  readonly #token: string | undefined;
  #nextId = 1;

  /** `baseUrl` like `http://127.0.0.1:PORT`; `token` is sent as `Authorization: Bearer <token>`. */
  constructor(baseUrl: string, opts: { token?: string } = {}) {
    this.#url = `${baseUrl.replace(/\/+$/, '')}/api`;
    this.#token = opts.token;
  }

  /** One request; resolves with the response whatever the HTTP status, throws if the body is not a JSON-RPC response. */
  async call(method: string, params?: unknown): Promise<RpcResponse> {
    const request = {
      jsonrpc: '2.0',
      id: this.#nextId++,
      method,
      ...(params === undefined ? {} : { params }),
    };
    const { status, body } = await this.raw(request);
    if (!isResponse(body)) {
      throw new Error(`${method}: HTTP ${status}, not a JSON-RPC response: ${JSON.stringify(body)}`);
    }
    return body;
  }

  /** The result of a successful call; throws JsonRpcError (with code and message) on an error response. */
  async result<T = unknown>(method: string, params?: unknown): Promise<T> {
    const response = await this.call(method, params);
    if (response.error) {
      const { code, message, data } = response.error;
      throw new JsonRpcError(method, code, message, data);
    }
    return response.result as T;
  }

  /** POSTs `body` as is (a string) or as JSON; `body` of the answer is parsed JSON, else its text. */
  async raw(body: string | object): Promise<{ status: number; body: unknown }> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#token !== undefined) headers['authorization'] = `Bearer ${this.#token}`;
    const response = await fetch(this.#url, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: the text as is
    }
    return { status: response.status, body: parsed };
  }
}

function isResponse(body: unknown): body is RpcResponse {
  if (typeof body !== 'object' || body === null) return false;
  const r = body as Partial<Record<keyof RpcResponse, unknown>>;
  return r.jsonrpc === '2.0' && ('result' in r || (typeof r.error === 'object' && r.error !== null));
}
