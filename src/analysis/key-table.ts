/**
 * Dense ids for hash keys: an open-addressing table (linear probing) from a key of `words` 32-bit words to the
 * id 0, 1, 2, ... given in order of first sight. The keys are already hashes (DuckDB's 64-bit `hash()` of a
 * digest or a path), so their low word spreads them over the slots. The table doubles at half full.
 */
export class KeyTable {
  private slots: Int32Array;
  private mask: number;
  /** Key words by id: the key of id i is words[i * width .. (i + 1) * width). */
  keys: Uint32Array;
  size = 0;

  constructor(
    readonly width: number,
    expected = 1 << 16,
  ) {
    let capacity = 1 << 10;
    while (capacity < expected * 2) capacity *= 2;
    this.slots = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
    this.keys = new Uint32Array(Math.max(1024, expected) * width);
  }

  /** The id of the key at words[at .. at + width), given a new id when first seen. */
  id(words: Uint32Array, at: number): number {
    const w = this.width;
    let slot = (words[at] ^ Math.imul(words[at + 1], 0x9e3779b1)) & this.mask;
    for (;;) {
      const id = this.slots[slot];
      if (id < 0) return this.insert(slot, words, at);
      if (this.equal(id, words, at, w)) return id;
      slot = (slot + 1) & this.mask;
    }
  }

  private equal(id: number, words: Uint32Array, at: number, w: number): boolean {
    const base = id * w;
    for (let i = 0; i < w; i++) if (this.keys[base + i] !== words[at + i]) return false;
    return true;
  }

  private insert(slot: number, words: Uint32Array, at: number): number {
    const id = this.size++;
    const w = this.width;
    if ((id + 1) * w > this.keys.length) {
      const bigger = new Uint32Array(this.keys.length * 2);
      bigger.set(this.keys);
      this.keys = bigger;
    }
    for (let i = 0; i < w; i++) this.keys[id * w + i] = words[at + i];
    this.slots[slot] = id;
    if (this.size * 2 > this.slots.length) this.rehash();
    return id;
  }

  private rehash(): void {
    const capacity = this.slots.length * 2;
    this.slots = new Int32Array(capacity).fill(-1);
    this.mask = capacity - 1;
    const w = this.width;
    for (let id = 0; id < this.size; id++) {
      let slot = (this.keys[id * w] ^ Math.imul(this.keys[id * w + 1], 0x9e3779b1)) & this.mask;
      while (this.slots[slot] >= 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = id;
    }
  }

  /** Frees the slots; the ids and their keys stay. */
  seal(): void {
    this.slots = new Int32Array(0);
    this.keys = this.keys.slice(0, this.size * this.width);
  }
}
