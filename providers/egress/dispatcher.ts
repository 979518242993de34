/**
 * The one outbound HTTP client. `createEgress` builds a single undici Agent whose connect step
 * re-checks the origin against the allowlist, resolves ALL A/AAAA records, checks every
 * address, and dials only a checked address (the socket goes to that IP; TLS SNI and the Host
 * header keep the hostname), so DNS rebinding between check and connect is impossible.
 * `request` adds the URL-level check, refuses redirects (3xx becomes EGR_ERR_REDIRECT_REFUSED;
 * nothing is followed), caps the response size while streaming and caps the total time.
 * Any client that uses `dispatcher` directly (e.g. undici.fetch, which follows redirects)
 * still gets every hop re-checked by the connector.
 */
import { Agent, buildConnector, request as undiciRequest } from 'undici';
import { EgressError } from './errors.ts';
import { denied as deny, pinnedAddresses, pinningConnector, systemResolver, type Resolver } from './connector.ts';
import { canonicalIp, checkUrl, parseAllowlist, type Allowlist } from './policy.ts';

export type { Resolver } from './connector.ts';

export interface EgressOptions {
  readonly allowlist: readonly string[];
  /** total time for one request including the streamed body */
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly connectTimeoutMs?: number;
  /** DNS resolver returning every address (tests inject one; default dns.lookup all:true) */
  readonly lookup?: Resolver;
  /** DNS servers (`ip` or `ip:port`) to ask directly instead of the system resolver (see systemResolver) */
  readonly dnsServers?: readonly string[];
  /** private IPs an operator explicitly trusts for allowlisted hostnames (e.g. an internal LLM) */
  readonly trustedAddresses?: readonly string[];
  /** low-level connector that dials an already-checked address (tests wrap it to count dials) */
  readonly connector?: buildConnector.connector;
}

export interface EgressInit {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export interface EgressResponse {
  readonly status: number;
  header(name: string): string | undefined;
  /** body chunks, size-capped; throws EgressError on cap, timeout, abort or network error */
  readonly body: AsyncIterable<Uint8Array>;
  text(): Promise<string>;
  /** releases the connection without reading the rest */
  cancel(): void;
}

export interface Egress {
  readonly dispatcher: Agent;
  readonly allowlist: Allowlist;
  request(url: string, init?: EgressInit): Promise<EgressResponse>;
  /**
   * The connect step's own decision, for a caller that dials itself (the upstream MCP servers'
   * egress tunnel, tunnel.ts): the same allowlist, resolver and trusted addresses as every
   * request of this client. The checked IPs, or throws EgressError.
   */
  destination(target: { hostname: string; protocol: string; port: string }): Promise<{ ips: string[]; servername?: string }>;
  close(): Promise<void>;
}

export function createEgress(options: EgressOptions): Egress {
  const parsed = parseAllowlist(options.allowlist);
  if (!parsed.ok) throw new EgressError('EGR_ERR_CONFIG', parsed.problems.join('; '));
  const allowlist = parsed.allowlist;
  const trusted = new Set((options.trustedAddresses ?? []).map(canonicalIp));
  const resolve = options.lookup ?? systemResolver(options.dnsServers);
  const base = options.connector ?? buildConnector({ timeout: options.connectTimeoutMs ?? 10_000 });

  const connect = pinningConnector(allowlist, resolve, trusted, base);
  const dispatcher = new Agent({ connect, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });

  async function request(url: string, init: EgressInit = {}): Promise<EgressResponse> {
    const checked = checkUrl(url, allowlist);
    if (!checked.ok) throw deny(checked);
    const timeout = AbortSignal.timeout(init.timeoutMs ?? options.timeoutMs);
    const signal = init.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    const mapError = (error: unknown): EgressError => {
      if (init.signal?.aborted) return new EgressError('EGR_ERR_ABORTED', 'caller aborted');
      if (timeout.aborted) return new EgressError('EGR_ERR_TIMEOUT', 'total time cap');
      if (error instanceof EgressError) return error;
      const cause = (error as { cause?: unknown } | null)?.cause;
      if (cause instanceof EgressError) return cause;
      const code = String((error as { code?: unknown } | null)?.code ?? 'unknown').slice(0, 40);
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        return new EgressError('EGR_ERR_TIMEOUT', code);
      }
      return new EgressError('EGR_ERR_NETWORK', code);
    };
    let res: Awaited<ReturnType<typeof undiciRequest>>;
    try {
      res = await undiciRequest(checked.url, {
        dispatcher,
        method: init.method ?? 'GET',
        headers: init.headers ?? {},
        body: init.body ?? null,
        signal,
      });
    } catch (error) {
      throw mapError(error);
    }
    const raw = res.body;
    raw.on('error', () => {}); // errors surface through iteration; destroy() must not throw unhandled
    const header = (name: string): string | undefined => {
      const value = res.headers[name.toLowerCase()];
      return Array.isArray(value) ? value[0] : value;
    };
    if (res.statusCode >= 300 && res.statusCode < 400) {
      raw.destroy();
      throw new EgressError('EGR_ERR_REDIRECT_REFUSED', `status ${res.statusCode}`, res.statusCode);
    }
    const declared = Number(header('content-length'));
    if (Number.isFinite(declared) && declared > options.maxResponseBytes) {
      raw.destroy();
      throw new EgressError('EGR_ERR_RESPONSE_TOO_LARGE', `declared ${declared} bytes`);
    }
    const max = options.maxResponseBytes;
    async function* body(): AsyncGenerator<Uint8Array> {
      let total = 0;
      try {
        for await (const chunk of raw as AsyncIterable<Uint8Array>) {
          total += chunk.byteLength;
          if (total > max) throw new EgressError('EGR_ERR_RESPONSE_TOO_LARGE', `over ${max} bytes`);
          yield chunk;
        }
      } catch (error) {
        throw mapError(error);
      } finally {
        if (!raw.destroyed) raw.destroy();
      }
    }
    const stream = body();
    return {
      status: res.statusCode,
      header,
      body: stream,
      async text() {
        const parts: Uint8Array[] = [];
        for await (const chunk of stream) parts.push(chunk);
        return Buffer.concat(parts).toString('utf8');
      },
      cancel() {
        raw.destroy();
      },
    };
  }

  const destination = (target: { hostname: string; protocol: string; port: string }): Promise<{ ips: string[]; servername?: string }> =>
    pinnedAddresses(target, allowlist, resolve, trusted);

  return { dispatcher, allowlist, request, destination, close: () => dispatcher.close() };
}
