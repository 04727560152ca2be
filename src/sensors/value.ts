// What every publisher delivers, wherever the pipe runs (no I/O here: the dashboard and the
// typed client read these types too).

/** One value as every publisher delivers it. */
export interface SensorValue {
  sensor: string;
  /** the channel the publisher reads */
  channel: string;
  /** the publisher's term: log, udp, webhook, stream, metrics, sla */
  publisher: string;
  value: number | boolean;
  /** ms since epoch */
  ts: number;
}

export interface Publisher {
  readonly term: string;
  send(v: SensorValue): void;
  close(): Promise<void>;
}
