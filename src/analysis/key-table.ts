/**
 * Dense ids for 128-bit keys (four 32-bit words, e.g. the two 64-bit DuckDB `hash()` values of a digest): an
 * open-addressing table (linear probing) from a key to the id 0, 1, 2, ... given in order of first sight. The
 * keys are already hashes, so their low words spread them over the slots. A slot holds its id + 1 (0: empty)
 * and the key's words side by side in 8 words (32 bytes, aligned), so that a lookup reads one cache line. The
 * table doubles at three quarters full: at 2 M contents that is 128 MB where half full would be 256 MB, each
 * page of it faulted in once (tens of microseconds each on a virtual machine), for one more slot per probe.
 */
const stride = 8;

export class KeyTable {
  private slots: Uint32Array;
  private mask: number;
  size = 0;

  constructor(expected = 1 << 16) {
    let capacity = 1 << 10;
    while (capacity * 3 < expected * 4) capacity *= 2;
    this.slots = new Uint32Array(capacity * stride);
    this.mask = capacity - 1;
  }

  /** The id of the key (a, b, c, d), unsigned 32-bit words, given a new id when first seen. */
  id(a: number, b: number, c: number, d: number): number {
    const base = this.probe(a, b, c, d);
    return this.slots[base] === 0 ? this.insert(base, a, b, c, d) : this.slots[base] - 1;
  }

  /** The id of the key (a, b, c, d), or -1 when it has none. */
  find(a: number, b: number, c: number, d: number): number {
    return this.slots[this.probe(a, b, c, d)] - 1;
  }

  /** Where the key is, or the empty slot where it would go: the index of the slot's first word. */
  private probe(a: number, b: number, c: number, d: number): number {
    const slots = this.slots;
    let slot = (a ^ Math.imul(b, 0x9e3779b1)) & this.mask;
    for (;;) {
      const base = slot * stride;
      if (slots[base] === 0 || (slots[base + 1] === a && slots[base + 2] === b && slots[base + 3] === c && slots[base + 4] === d)) return base;
      slot = (slot + 1) & this.mask;
    }
  }

  private insert(base: number, a: number, b: number, c: number, d: number): number {
    const id = this.size++;
    const slots = this.slots;
    slots[base] = id + 1;
    slots[base + 1] = a;
    slots[base + 2] = b;
    slots[base + 3] = c;
    slots[base + 4] = d;
    if (this.size * 4 > (this.mask + 1) * 3) this.grow();
    return id;
  }

  private grow(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    const slots = new Uint32Array(capacity * stride);
    const mask = capacity - 1;
    for (let base = 0; base < old.length; base += stride) {
      if (old[base] === 0) continue;
      let slot = (old[base + 1] ^ Math.imul(old[base + 2], 0x9e3779b1)) & mask;
      while (slots[slot * stride] !== 0) slot = (slot + 1) & mask;
      const to = slot * stride;
      for (let w = 0; w < 5; w++) slots[to + w] = old[base + w];
    }
    this.slots = slots;
    this.mask = mask;
  }

  /**
   * The keys by id as two 64-bit values each, (a, b) and (c, d), two words per value low word first (as
   * src/store/columns.ts writes a `u64` column); the table is freed.
   */
  seal(): { first: Uint32Array; second: Uint32Array } {
    const first = new Uint32Array(this.size * 2);
    const second = new Uint32Array(this.size * 2);
    const slots = this.slots;
    for (let base = 0; base < slots.length; base += stride) {
      const id = slots[base] - 1;
      if (id < 0) continue;
      first[2 * id] = slots[base + 1];
      first[2 * id + 1] = slots[base + 2];
      second[2 * id] = slots[base + 3];
      second[2 * id + 1] = slots[base + 4];
    }
    this.slots = new Uint32Array(0);
    return { first, second };
  }
}
