// The aggregators as pure, allocation-free operators: push a sample (value, time in ms) and
// learn whether the operator emitted; the emitted value and its time are left in `value`
// and `time`, so the hot path creates no objects.

export interface Operator {
  /** Feeds one sample; true when the operator emitted (read `value` and `time`). */
  push(x: number, t: number): boolean;
  /** Closes what time `t` has completed (windows); true when that emitted. */
  flush(t: number): boolean;
  value: number;
  time: number;
}

/** The seed's EWMA: v ← (x + gain·v)/(gain + 1); the first sample initialises v. Emits every sample. */
export class Ewma implements Operator {
  value = NaN;
  time = 0;
  private primed = false;
  constructor(private readonly gain: number) {}
  push(x: number, t: number): boolean {
    this.value = this.primed ? (x + this.gain * this.value) / (this.gain + 1) : x;
    this.primed = true;
    this.time = t;
    return true;
  }
  flush(): boolean {
    return false;
  }
}

export type WindowKind = 'mean' | 'min' | 'max' | 'percentile';

/**
 * Tumbling windows of `periodMs`, aligned on the first sample. A window is emitted (stamped
 * with its end) when a sample or a flush at or past its end arrives; empty windows emit nothing.
 */
export class Window implements Operator {
  value = NaN;
  time = 0;
  private start = NaN;
  private n = 0;
  private sum = 0;
  private lo = Infinity;
  private hi = -Infinity;
  private readonly buf: Float64Array;
  private readonly scratch: Float64Array;
  private next = 0;

  constructor(
    private readonly kind: WindowKind,
    private readonly periodMs: number,
    private readonly p = 50,
    capacity = 4096,
  ) {
    const cap = kind === 'percentile' ? capacity : 0;
    this.buf = new Float64Array(cap);
    this.scratch = new Float64Array(cap);
  }

  push(x: number, t: number): boolean {
    const emitted = this.flush(t);
    if (Number.isNaN(this.start)) this.start = t;
    this.n++;
    this.sum += x;
    if (x < this.lo) this.lo = x;
    if (x > this.hi) this.hi = x;
    if (this.buf.length > 0) {
      // Past capacity the oldest samples of the window are overwritten.
      this.buf[this.next] = x;
      this.next = (this.next + 1) % this.buf.length;
    }
    return emitted;
  }

  flush(t: number): boolean {
    if (Number.isNaN(this.start) || t < this.start + this.periodMs) return false;
    const end = this.start + this.periodMs;
    let emitted = false;
    if (this.n > 0) {
      this.value = this.result();
      this.time = end;
      emitted = true;
    }
    // The next window starts at the boundary the time falls in, so gaps leave no empty windows behind.
    this.start = end + Math.floor((t - end) / this.periodMs) * this.periodMs;
    this.n = 0;
    this.sum = 0;
    this.lo = Infinity;
    this.hi = -Infinity;
    this.next = 0;
    return emitted;
  }

  private result(): number {
    switch (this.kind) {
      case 'mean':
        return this.sum / this.n;
      case 'min':
        return this.lo;
      case 'max':
        return this.hi;
      case 'percentile': {
        const k = Math.min(this.n, this.buf.length);
        for (let i = 0; i < k; i++) this.scratch[i] = this.buf[i]!;
        const sorted = this.scratch.subarray(0, k).sort();
        // nearest rank
        const rank = Math.max(1, Math.ceil((this.p / 100) * k));
        return sorted[rank - 1]!;
      }
    }
  }
}

/** Change per second between consecutive samples; with `counter`, a decrease is a reset and emits nothing. */
export class Rate implements Operator {
  value = NaN;
  time = 0;
  private px = NaN;
  private pt = NaN;
  constructor(private readonly counter = false) {}
  push(x: number, t: number): boolean {
    const dx = x - this.px;
    const dt = t - this.pt;
    this.px = x;
    this.pt = t;
    if (!(dt > 0) || Number.isNaN(dx) || (this.counter && dx < 0)) return false;
    this.value = (dx * 1000) / dt;
    this.time = t;
    return true;
  }
  flush(): boolean {
    return false;
  }
}

/**
 * Alarm with hysteresis. The state starts at 0 (normal); it turns 1 when a sample reaches
 * `high` and back to 0 when one falls to `low`. Only changes are emitted, one per crossing.
 */
export class Threshold implements Operator {
  value = 0;
  time = 0;
  constructor(
    private readonly high: number,
    private readonly low: number,
  ) {}
  push(x: number, t: number): boolean {
    // NaN compares false both ways, so a missing sample changes nothing.
    if (this.value === 0 ? x >= this.high : x <= this.low) {
      this.value = 1 - this.value;
      this.time = t;
      return true;
    }
    return false;
  }
  flush(): boolean {
    return false;
  }
}
