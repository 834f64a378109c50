/**
 * The positions of path keys within one image: an open-addressing table sized to the image (twice its keys, a
 * power of two), reused from image to image; a slot is taken when it holds the current image's stamp. Each key
 * keeps the first position it was found at and whether another position holds it too. A slot is four words side
 * by side (the stamp, the key's two words, the first position with the spread flag in its top bit), so that a
 * probe reads one cache line, and the slots next to it, where linear probing goes on, are mostly in that line too.
 */
const stride = 4;
const spreadBit = 1 << 30;

export class PathSpread {
  private slots = new Int32Array((1 << 12) * stride);
  private image = 0;
  private mask = 0;

  /** Starts on the keys of an image (ids from 1) that has `keys` of them. */
  start(image: number, keys: number): void {
    let capacity = 1 << 4;
    while (capacity < keys * 2) capacity *= 2;
    if (capacity * stride > this.slots.length) this.slots = new Int32Array(capacity * stride);
    this.image = image;
    this.mask = capacity - 1;
  }

  /** Where the key is for this image, or the free slot (another image's stamp, or none) where it would go. */
  private slot(low: number, high: number): number {
    const slots = this.slots;
    let slot = (low ^ Math.imul(high, 0x9e3779b1)) & this.mask;
    for (;;) {
      const base = slot * stride;
      if (slots[base] !== this.image || (slots[base + 1] === low && slots[base + 2] === high)) return base;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Adds a key at a layer position (below 2^30). */
  add(low: number, high: number, position: number): void {
    const base = this.slot(low, high);
    const slots = this.slots;
    if (slots[base] === this.image) {
      if ((slots[base + 3] & ~spreadBit) !== position) slots[base + 3] |= spreadBit;
    } else {
      slots[base] = this.image;
      slots[base + 1] = low;
      slots[base + 2] = high;
      slots[base + 3] = position;
    }
  }

  /** True when the key was added at two positions or more. */
  spans(low: number, high: number): boolean {
    const base = this.slot(low, high);
    return this.slots[base] === this.image && (this.slots[base + 3] & spreadBit) !== 0;
  }
}
