/**
 * The positions of path keys within one image: an open-addressing table sized to the image (twice its keys, a
 * power of two), reused from image to image; a slot is taken when it holds the current image's stamp. Each key
 * keeps the first position it was found at and whether another position holds it too.
 */
export class PathSpread {
  private stamp = new Int32Array(1 << 12);
  private low = new Int32Array(1 << 12);
  private high = new Int32Array(1 << 12);
  private first = new Int32Array(1 << 12);
  private spread = new Uint8Array(1 << 12);
  private image = 0;
  private mask = 0;

  /** Starts on the keys of an image (ids from 1) that has `keys` of them. */
  start(image: number, keys: number): void {
    let capacity = 1 << 4;
    while (capacity < keys * 2) capacity *= 2;
    if (capacity > this.stamp.length) {
      this.stamp = new Int32Array(capacity);
      this.low = new Int32Array(capacity);
      this.high = new Int32Array(capacity);
      this.first = new Int32Array(capacity);
      this.spread = new Uint8Array(capacity);
    }
    this.image = image;
    this.mask = capacity - 1;
  }

  private slot(low: number, high: number): number {
    let slot = (low ^ Math.imul(high, 0x9e3779b1)) & this.mask;
    while (this.stamp[slot] === this.image && (this.low[slot] !== low || this.high[slot] !== high)) slot = (slot + 1) & this.mask;
    return slot;
  }

  add(low: number, high: number, position: number): void {
    const slot = this.slot(low, high);
    if (this.stamp[slot] === this.image) {
      if (this.first[slot] !== position) this.spread[slot] = 1;
    } else {
      this.stamp[slot] = this.image;
      this.low[slot] = low;
      this.high[slot] = high;
      this.first[slot] = position;
      this.spread[slot] = 0;
    }
  }

  /** True when the key was added at two positions or more. */
  spans(low: number, high: number): boolean {
    const slot = this.slot(low, high);
    return this.stamp[slot] === this.image && this.spread[slot] === 1;
  }
}
