// Edge autonomy with a limit (Nomad's disconnect.stop_on_client_after): while the core is
// out of reach the agent keeps every instance running, except those whose MEL said they must
// not run twice. Each of those carries its MEL's disconnect.stopAfter as a label (the agent
// cannot ask the core, exactly when it needs the value); once the link has been down that
// long, the agent removes it. The removal is an instance event like any other: the outbox
// keeps it and the core reads it when the link is back.
import { LABEL_STOP_AFTER } from '../../runtime/types.js';
import type { DeployService } from './service.js';

export interface LinkView {
  /** when the core last answered */
  lastContact: number;
  /** the latest attempt to reach it failed */
  cutOff: boolean;
}

export interface DisconnectGuardOptions {
  deploy: Pick<DeployService, 'list' | 'remove'>;
  link: LinkView;
  /** how often the guard looks (ms, default 500) */
  tickMs?: number;
  now?: () => number;
  log?: (msg: string) => void;
}

export class DisconnectGuard {
  private timer: NodeJS.Timeout | undefined;
  private readonly stopping = new Set<string>();
  private checking = false;
  /** instances this guard removed */
  stopped = 0;

  constructor(private readonly o: DisconnectGuardOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.check(), this.o.tickMs ?? 500);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One look: removes the instances whose stopAfter the current cut-off has outlasted. */
  async check(): Promise<string[]> {
    const { link } = this.o;
    if (!link.cutOff || this.checking) return [];
    this.checking = true;
    try {
      const away = (this.o.now ?? Date.now)() - link.lastContact;
      let list;
      try {
        list = await this.o.deploy.list();
      } catch {
        return []; // the engine does not answer either: look again at the next tick
      }
      const due = list.filter((i) => {
        const limit = Number(i.labels[LABEL_STOP_AFTER]);
        return Number.isFinite(limit) && limit > 0 && away > limit && !this.stopping.has(i.name);
      });
      await Promise.all(
        due.map(async (i) => {
          this.stopping.add(i.name);
          const reason = `disconnect.stopAfter: no answer from the core for ${Math.round(away / 1000)} s (limit ${Number(i.labels[LABEL_STOP_AFTER]) / 1000} s)`;
          try {
            await this.o.deploy.remove(i.name, undefined, reason);
            this.stopped++;
            this.o.log?.(`stopped ${i.name}: ${reason}`);
          } catch (e) {
            this.o.log?.(`could not stop ${i.name} (${reason}): ${(e as Error).message}`);
          } finally {
            this.stopping.delete(i.name);
          }
        }),
      );
      return due.map((i) => i.name);
    } finally {
      this.checking = false;
    }
  }
}
