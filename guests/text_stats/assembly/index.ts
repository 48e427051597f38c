// text_stats: a `buffer`-ABI guest for langchain_wasm (see docs/guests.md and README.md in this directory).
//
//   alloc(len: i32) -> i32            allocate len bytes (0 = out of memory)
//   dealloc(ptr: i32, len: i32)       free a block returned by alloc or by text_stats
//   text_stats(ptr: i32, len: i32) -> i64
//       reads len bytes of UTF-8 text at ptr and returns (out_ptr << 32) | out_len, where the output block
//       (allocated with alloc) holds compact UTF-8 JSON:
//       {"characters":N,"bytes":N,"words":N,"lines":N,"sentences":N,"top_words":[{"word":"w","count":N},...]}
//       out_ptr == 0 means refused, with out_len an error code: 1 = out of memory, 2 = input range invalid.
//
// The module uses no AssemblyScript managed objects (no strings, arrays or maps are allocated at run time):
// everything lives in blocks from the allocator below, so the module has no imports and its memory use is
// predictable. Invalid UTF-8 is never rejected: each maximal invalid subsequence decodes to one U+FFFD, exactly
// like Python's bytes.decode("utf-8", "replace").

// ---------------------------------------------------------------------------------------------------------
// Allocator: a LIFO arena. Each block has an 8-byte header [prev block header: u32][state tag: u32] followed by
// the payload (8-byte aligned). dealloc marks a block free and then pops every free block off the top, so
// blocks freed in any order are all reclaimed once the ones above them are freed; when the host frees the input
// and the output after a call, the heap is back where it started (an instance can serve any number of calls).
// A free block below a live one is reclaimed only once that live block is freed.

const HEADER: usize = 8;
const TAG_LIVE: u32 = 0xa110c8ed;
const TAG_FREE: u32 = 0xf4eeb10c;
const MAX_END: u64 = 0xfffffff8; // keep every address below 4 GiB

let heapTop: usize = 0; // first free byte (0 = not initialised)
let lastBlock: usize = 0; // header of the most recently allocated block still on the stack (0 = none)

// @ts-ignore: decorator
@inline function heapStart(): usize {
  return (__heap_base + 7) & ~(<usize>7);
}

function ensureInit(): void {
  if (heapTop == 0) heapTop = heapStart();
}

function allocBytes(len: u64): usize {
  ensureInit();
  const header = heapTop;
  const end: u64 = <u64>header + <u64>HEADER + ((len + 7) & ~(<u64>7));
  if (end > MAX_END) return 0;
  const have: u64 = (<u64>memory.size()) << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  store<u32>(header, <u32>lastBlock);
  store<u32>(header, TAG_LIVE, 4);
  lastBlock = header;
  heapTop = <usize>end;
  return header + HEADER;
}

export function alloc(len: i32): i32 {
  if (len < 0) return 0;
  return <i32>allocBytes(<u64>len);
}

function freeBlock(ptr: usize): void {
  ensureInit();
  if (ptr < heapStart() + HEADER || ptr > heapTop || (ptr & 7) != 0) return; // not one of ours
  const header = ptr - HEADER;
  if (load<u32>(header, 4) != TAG_LIVE) return; // already free, or not a block
  store<u32>(header, TAG_FREE, 4);
  while (lastBlock != 0 && load<u32>(lastBlock, 4) == TAG_FREE) {
    heapTop = lastBlock;
    lastBlock = <usize>load<u32>(lastBlock);
  }
}

export function dealloc(ptr: i32, len: i32): void {
  freeBlock(<usize>(<u32>ptr));
}

// ---------------------------------------------------------------------------------------------------------
// Character classes.

// Python's str.isspace(): Unicode White_Space-like set (bidi WS/B/S or category Zs), as used by str.split().
function isSpace(c: u32): bool {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x85) return false;
  return (
    c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 ||
    c == 0x202f || c == 0x205f || c == 0x3000
  );
}

// @ts-ignore: decorator
@inline function isTerminator(c: u32): bool {
  return c == 0x2e || c == 0x21 || c == 0x3f; // . ! ?
}

// Closing quotes and brackets that may follow a sentence terminator: " ' ) ] } » ’ ”
function isCloser(c: u32): bool {
  return c == 0x22 || c == 0x27 || c == 0x29 || c == 0x5d || c == 0x7d || c == 0xbb || c == 0x2019 || c == 0x201d;
}

// Word-token byte for top_words: ASCII letter (lower-cased), digit, or apostrophe (' or U+2019, both as ').
// Returns 0 if c is not a token character.
function tokenByte(c: u32): u32 {
  if (c >= 0x61 && c <= 0x7a) return c;
  if (c >= 0x41 && c <= 0x5a) return c + 0x20;
  if (c >= 0x30 && c <= 0x39) return c;
  if (c == 0x27 || c == 0x2019) return 0x27;
  return 0;
}

// ---------------------------------------------------------------------------------------------------------
// Word counts: open addressing, entries of 16 bytes [key ptr][key len][count][hash]; key len 0 = empty slot.

let tableBase: usize = 0;
let tableCap: u32 = 0; // power of two
let tableUsed: u32 = 0;

function fnv1a(p: usize, n: u32): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i: u32 = 0; i < n; i++) {
    h = (h ^ <u32>load<u8>(p + i)) * 0x01000193;
  }
  return h;
}

function bytesEqual(a: usize, b: usize, n: u32): bool {
  for (let i: u32 = 0; i < n; i++) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
  }
  return true;
}

function tableInit(cap: u32): bool {
  const base = allocBytes(<u64>cap * 16);
  if (base == 0) return false;
  memory.fill(base, 0, <usize>cap * 16);
  tableBase = base;
  tableCap = cap;
  tableUsed = 0;
  return true;
}

function slotFor(hash: u32, key: usize, len: u32): usize {
  const mask = tableCap - 1;
  let i = hash & mask;
  while (true) {
    const slot = tableBase + (<usize>i << 4);
    const slen = load<u32>(slot, 4);
    if (slen == 0) return slot;
    if (slen == len && load<u32>(slot, 12) == hash && bytesEqual(load<u32>(slot), key, len)) return slot;
    i = (i + 1) & mask;
  }
}

function tableGrow(): bool {
  const oldBase = tableBase;
  const oldCap = tableCap;
  if (!tableInit(oldCap << 1)) return false;
  for (let i: u32 = 0; i < oldCap; i++) {
    const old = oldBase + (<usize>i << 4);
    const len = load<u32>(old, 4);
    if (len == 0) continue;
    const slot = slotFor(load<u32>(old, 12), load<u32>(old), len);
    memory.copy(slot, old, 16);
    tableUsed++;
  }
  freeBlock(oldBase);
  return true;
}

// Count one occurrence of the key at [key, key+len). Returns 1 if the key was new (the caller keeps its bytes),
// 0 if it was already present, -1 when out of memory.
function countWord(key: usize, len: u32): i32 {
  const hash = fnv1a(key, len);
  let slot = slotFor(hash, key, len);
  if (load<u32>(slot, 4) != 0) {
    store<u32>(slot, load<u32>(slot, 8) + 1, 8);
    return 0;
  }
  if ((tableUsed + 1) * 2 > tableCap) {
    if (!tableGrow()) return -1;
    slot = slotFor(hash, key, len);
  }
  store<u32>(slot, <u32>key);
  store<u32>(slot, len, 4);
  store<u32>(slot, 1, 8);
  store<u32>(slot, hash, 12);
  tableUsed++;
  return 1;
}

// ---------------------------------------------------------------------------------------------------------
// Top 5: count descending, then word ascending (byte order, which is code point order for these ASCII words).

const TOP_N: u32 = 5;

// Is entry a (ptr, len, count) ranked before entry b?
function before(ap: usize, al: u32, ac: u32, bp: usize, bl: u32, bc: u32): bool {
  if (ac != bc) return ac > bc;
  const n = al < bl ? al : bl;
  for (let i: u32 = 0; i < n; i++) {
    const x = load<u8>(ap + i);
    const y = load<u8>(bp + i);
    if (x != y) return x < y;
  }
  return al < bl;
}

// Fills `top` (TOP_N entries of 12 bytes [ptr][len][count]) and returns how many it holds.
function selectTop(top: usize): u32 {
  let k: u32 = 0;
  for (let i: u32 = 0; i < tableCap; i++) {
    const slot = tableBase + (<usize>i << 4);
    const len = load<u32>(slot, 4);
    if (len == 0) continue;
    const ptr = <usize>load<u32>(slot);
    const cnt = load<u32>(slot, 8);
    let pos = k;
    while (pos > 0) {
      const t = top + <usize>(pos - 1) * 12;
      if (!before(ptr, len, cnt, load<u32>(t), load<u32>(t, 4), load<u32>(t, 8))) break;
      pos--;
    }
    if (pos >= TOP_N) continue;
    const last = k < TOP_N ? k : TOP_N - 1; // the entry at the end falls off when full
    for (let j = last; j > pos; j--) {
      memory.copy(top + <usize>j * 12, top + <usize>(j - 1) * 12, 12);
    }
    const t = top + <usize>pos * 12;
    store<u32>(t, <u32>ptr);
    store<u32>(t, len, 4);
    store<u32>(t, cnt, 8);
    if (k < TOP_N) k++;
  }
  return k;
}

// ---------------------------------------------------------------------------------------------------------
// Output writer (ASCII only: keys, digits, and words made of [a-z0-9'] which need no JSON escaping).

let outPos: usize = 0;

function putByte(b: u32): void {
  store<u8>(outPos, <u8>b);
  outPos++;
}

function putAscii(s: string): void {
  for (let i = 0; i < s.length; i++) putByte(<u32>s.charCodeAt(i));
}

function putUint(n: u64): void {
  if (n >= 10) putUint(n / 10);
  putByte(<u32>(n % 10) + 0x30);
}

function putBytes(p: usize, n: u32): void {
  memory.copy(outPos, p, n);
  outPos += n;
}

// ---------------------------------------------------------------------------------------------------------

const ERR_OUT_OF_MEMORY: u64 = 1;
const ERR_BAD_RANGE: u64 = 2;

// Sentence scanner states.
const S_TEXT: i32 = 0; // not inside a terminator run
const S_RUN: i32 = 1; // after one or more of . ! ?
const S_CLOSERS: i32 = 2; // after a terminator run and one or more closing quotes/brackets

export function text_stats(ptr: i32, len: i32): i64 {
  const start = <usize>(<u32>ptr);
  if (len < 0 || <u64>start + <u64>len > (<u64>memory.size()) << 16) return <i64>ERR_BAD_RANGE;
  const n = <usize>len;
  ensureInit();
  const markTop = heapTop;
  const markLast = lastBlock;

  // Key arena: normalised tokens are never longer than the input bytes they come from.
  const arena = allocBytes(<u64>n);
  if (arena == 0 || !tableInit(64)) return fail(markTop, markLast);
  let arenaTop = arena;

  let characters: u64 = 0;
  let words: u64 = 0;
  let newlines: u64 = 0;
  let sentences: u64 = 0;
  let lastCp: u32 = 0;
  let inWord = false;
  let state = S_TEXT;
  let hasContent = false;
  let tokLen: u32 = 0; // bytes of the current token written at arenaTop

  let i: usize = 0;
  while (true) {
    // ---- decode one code point (cp), or mark the end of the text with cp = END
    let cp: u32 = 0xffffffff;
    if (i < n) {
      const b0 = <u32>load<u8>(start + i);
      if (b0 < 0x80) {
        cp = b0;
        i += 1;
      } else {
        // Unicode Table 3-7: need = continuation bytes, lo/hi = allowed range of the first continuation byte.
        let need: u32 = 0;
        let lo: u32 = 0x80;
        let hi: u32 = 0xbf;
        if (b0 >= 0xc2 && b0 <= 0xdf) {
          need = 1;
        } else if (b0 >= 0xe0 && b0 <= 0xef) {
          need = 2;
          if (b0 == 0xe0) lo = 0xa0;
          else if (b0 == 0xed) hi = 0x9f;
        } else if (b0 >= 0xf0 && b0 <= 0xf4) {
          need = 3;
          if (b0 == 0xf0) lo = 0x90;
          else if (b0 == 0xf4) hi = 0x8f;
        }
        if (need == 0) {
          cp = 0xfffd; // 80..C1 or F5..FF: one byte, one replacement
          i += 1;
        } else {
          let acc: u32 = b0 & (0x3f >> need);
          let j: u32 = 1;
          i += 1;
          while (j <= need) {
            if (i >= n) break;
            const b = <u32>load<u8>(start + i);
            if (j == 1 ? b < lo || b > hi : b < 0x80 || b > 0xbf) break;
            acc = (acc << 6) | (b & 0x3f);
            i += 1;
            j++;
          }
          // A truncated sequence (maximal subpart) becomes one U+FFFD; the offending byte is decoded next.
          cp = j > need ? acc : 0xfffd;
        }
      }
    }
    const atEnd = cp == 0xffffffff;

    // ---- top_words tokens
    const tb = atEnd ? 0 : tokenByte(cp);
    if (tb != 0) {
      store<u8>(arenaTop + tokLen, <u8>tb);
      tokLen++;
    } else if (tokLen != 0) {
      let s = arenaTop;
      let e = arenaTop + tokLen;
      while (s < e && load<u8>(s) == 0x27) s++;
      while (e > s && load<u8>(e - 1) == 0x27) e--;
      if (e > s) {
        const r = countWord(s, <u32>(e - s));
        if (r < 0) return fail(markTop, markLast);
        if (r == 1) arenaTop = e; // keep the new key's bytes
      }
      tokLen = 0;
    }

    // ---- sentences
    if (atEnd) {
      if (state != S_TEXT && hasContent) sentences++;
      break;
    }
    const space = isSpace(cp);
    if (isTerminator(cp)) {
      if (state == S_CLOSERS) hasContent = true; // those closers did not end a sentence: they are text
      state = S_RUN;
    } else if (state != S_TEXT && isCloser(cp)) {
      state = S_CLOSERS;
    } else {
      if (state != S_TEXT) {
        if (space) {
          if (hasContent) sentences++;
          hasContent = false;
        } else {
          hasContent = true; // "3.14", "a.b", ".)x": not a sentence end; the closers and cp are text
        }
        state = S_TEXT;
      }
      if (!space) hasContent = true;
    }

    // ---- characters, words, lines
    characters++;
    if (space) {
      inWord = false;
    } else if (!inWord) {
      inWord = true;
      words++;
    }
    if (cp == 0x0a) newlines++;
    lastCp = cp;
  }

  const lines: u64 = characters == 0 ? 0 : newlines + (lastCp == 0x0a ? 0 : 1);

  const top = allocBytes(<u64>TOP_N * 12);
  if (top == 0) return fail(markTop, markLast);
  const k = selectTop(top);

  // ---- write the JSON into a scratch block, then move it down to the mark as the only block left
  let bound: u64 = 256; // fixed keys (70 bytes) and five numbers of at most 20 digits
  for (let t: u32 = 0; t < k; t++) bound += <u64>load<u32>(top + <usize>t * 12, 4) + 40;
  const scratch = allocBytes(bound);
  if (scratch == 0) return fail(markTop, markLast);
  outPos = scratch;
  putAscii('{"characters":');
  putUint(characters);
  putAscii(',"bytes":');
  putUint(<u64>n);
  putAscii(',"words":');
  putUint(words);
  putAscii(',"lines":');
  putUint(lines);
  putAscii(',"sentences":');
  putUint(sentences);
  putAscii(',"top_words":[');
  for (let t: u32 = 0; t < k; t++) {
    const e = top + <usize>t * 12;
    if (t > 0) putByte(0x2c);
    putAscii('{"word":"');
    putBytes(<usize>load<u32>(e), load<u32>(e, 4));
    putAscii('","count":');
    putUint(<u64>load<u32>(e, 8));
    putByte(0x7d);
  }
  putAscii("]}");
  const outLen = <u32>(outPos - scratch);

  heapTop = markTop;
  lastBlock = markLast;
  const out = allocBytes(<u64>outLen); // fits: it starts where the arena started, below the scratch block
  memory.copy(out, scratch, outLen);
  return <i64>((<u64>out << 32) | <u64>outLen);
}

function fail(markTop: usize, markLast: usize): i64 {
  heapTop = markTop;
  lastBlock = markLast;
  return <i64>ERR_OUT_OF_MEMORY;
}
