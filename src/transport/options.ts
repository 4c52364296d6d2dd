/** Transport tuning shared by both transports (config section `transport`). */
export interface TransportOptions {
  /** Max unsettled deliveries per VIM (0-9-1 prefetch, 1.0 credit). */
  readonly prefetch: number;
  readonly reconnectInitialMs: number;
  readonly reconnectMaxMs: number;
  /** Heartbeat (0-9-1) / idle timeout (1.0) in seconds, unless the URL's heartbeat_timeout_threshold says otherwise. */
  readonly heartbeatSeconds: number;
  /** A body larger than this is dead-lettered as BODY_TOO_LARGE without being parsed. */
  readonly maxBodyBytes: number;
  /**
   * One attempt on one host (TCP, TLS, login, declarations, consumers attached) must be done
   * within this, or that host has failed. Bounds how long a broker that accepts TCP and then
   * says nothing holds a connect slot.
   */
  readonly connectTimeoutMs: number;
  /** Connection attempts in progress at once across every VIM of the process. */
  readonly maxConcurrentConnects: number;
}

export const DEFAULT_TRANSPORT_OPTIONS: TransportOptions = {
  prefetch: 500,
  reconnectInitialMs: 1000,
  reconnectMaxMs: 30000,
  heartbeatSeconds: 60,
  maxBodyBytes: 1048576,
  connectTimeoutMs: 10000,
  maxConcurrentConnects: 32,
};
