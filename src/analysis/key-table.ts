/**
 * Dense ids for hash keys: an open-addressing table (linear probing) from a key of `width` 32-bit words to the
 * id 0, 1, 2, ... given in order of first sight. The keys are already hashes (DuckDB's 64-bit `hash()` of a
 * digest or a path), so their low words spread them over the slots. A slot holds its id + 1 (0: empty) and the
 * key's words side by side, so that a lookup reads one cache line. The table doubles at half full.
 */
export class KeyTable {
  private slots: Uint32Array;
  private mask: number;
  private readonly stride: number;
  size = 0;

  constructor(
    readonly width: number,
    expected = 1 << 16,
  ) {
    let capacity = 1 << 10;
    while (capacity < expected * 2) capacity *= 2;
    this.stride = width + 1;
    this.slots = new Uint32Array(capacity * this.stride);
    this.mask = capacity - 1;
  }

  /** The id of the key at words[at .. at + width), given a new id when first seen. */
  id(words: Uint32Array, at: number): number {
    const { stride, width, slots } = this;
    let slot = (words[at] ^ Math.imul(words[at + 1], 0x9e3779b1)) & this.mask;
    for (;;) {
      const base = slot * stride;
      const id = slots[base];
      if (id === 0) return this.insert(base, words, at);
      let same = true;
      for (let i = 0; i < width; i++) {
        if (slots[base + 1 + i] !== words[at + i]) {
          same = false;
          break;
        }
      }
      if (same) return id - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  private insert(base: number, words: Uint32Array, at: number): number {
    const id = this.size++;
    this.slots[base] = id + 1;
    for (let i = 0; i < this.width; i++) this.slots[base + 1 + i] = words[at + i];
    if (this.size * 2 > this.mask + 1) this.grow();
    return id;
  }

  private grow(): void {
    const old = this.slots;
    const { stride } = this;
    const capacity = (this.mask + 1) * 2;
    this.slots = new Uint32Array(capacity * stride);
    this.mask = capacity - 1;
    for (let base = 0; base < old.length; base += stride) {
      if (old[base] === 0) continue;
      let slot = (old[base + 1] ^ Math.imul(old[base + 2], 0x9e3779b1)) & this.mask;
      while (this.slots[slot * stride] !== 0) slot = (slot + 1) & this.mask;
      this.slots.set(old.subarray(base, base + stride), slot * stride);
    }
  }

  /** The key words by id (the key of id i at [i * width, (i + 1) * width)), and the table freed. */
  seal(): Uint32Array {
    const { stride, width } = this;
    const keys = new Uint32Array(this.size * width);
    for (let base = 0; base < this.slots.length; base += stride) {
      const id = this.slots[base];
      if (id !== 0) keys.set(this.slots.subarray(base + 1, base + stride), (id - 1) * width);
    }
    this.slots = new Uint32Array(0);
    return keys;
  }
}
