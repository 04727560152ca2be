// Bounds the number of agent commands in flight (a reconcile pass may decide thousands).
export class Limiter {
  private active = 0;
  // a queue with a moving head: Array#shift copies the rest of a long array (ten thousand
  // commands waiting during a rollout made shift() a visible part of the core's CPU)
  private queue: Array<() => void> = [];
  private head = 0;

  constructor(private readonly max: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.queue.push(r));
    this.active++;
    try {
      return await fn();
    } finally {
      this.active--;
      this.next();
    }
  }

  private next(): void {
    if (this.head >= this.queue.length) return;
    const wake = this.queue[this.head++]!;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    wake();
  }
}
