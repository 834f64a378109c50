import { ImgscanError } from '../errors.js';

/**
 * A streaming reader for one JSON array of records (`[{...}, {...}, ...]`), the form of the full registry
 * traces (gigabytes per file). Text arrives in chunks of any size; the reader finds where each record ends by
 * tracking nesting depth and string state (with escapes) across chunk boundaries, and parses one record at a
 * time. Memory is bounded by the largest record, never by the file.
 */
export interface JsonArrayRecord {
  value: Record<string, unknown>;
  /** Position in the array, from 0. */
  index: number;
  /** Line where the record starts, from 1. */
  line: number;
}

const enum State {
  Start,
  FirstValue,
  Value,
  InValue,
  AfterValue,
  Done,
}

const QUOTE = 0x22;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const NL = 0x0a;
const BOM = 0xfeff;

function isSpace(c: number): boolean {
  return c === 0x20 || c === NL || c === 0x0d || c === 0x09;
}

/** Yields the records of a JSON array read from text chunks. `where` names the input in errors. */
export async function* readJsonArray(chunks: AsyncIterable<string>, where = 'input'): AsyncGenerator<JsonArrayRecord> {
  let state = State.Start;
  let line = 1;
  let index = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let parts: string[] = [];
  let recordLine = 0;
  const fail = (message: string): never => {
    throw new ImgscanError('TRACE_INVALID', message, { path: where });
  };
  for await (const chunk of chunks) {
    const n = chunk.length;
    let start = state === State.InValue ? 0 : -1;
    let i = 0;
    // Position of the next backslash at or after i (n when there is none): found once per chunk and moved
    // forward as needed, so strings without escapes cost one quote search each.
    let bs = -1;
    while (i < n) {
      if (state === State.InValue) {
        if (inString) {
          if (escaped) {
            escaped = false;
            i++;
            continue;
          }
          const q = chunk.indexOf('"', i);
          if (bs < i) {
            bs = chunk.indexOf('\\', i);
            if (bs === -1) bs = n;
          }
          if (bs < n && (q === -1 || bs < q)) {
            escaped = true;
            i = bs + 1;
          } else if (q === -1) {
            i = n;
          } else {
            inString = false;
            i = q + 1;
          }
          continue;
        }
        const c = chunk.charCodeAt(i);
        if (c === QUOTE) inString = true;
        else if (c === LBRACE || c === LBRACKET) depth++;
        else if (c === NL) line++;
        else if (c === RBRACE || c === RBRACKET) {
          depth--;
          if (depth === 0) {
            const tail = chunk.slice(start, i + 1);
            const text = parts.length ? parts.join('') + tail : tail;
            parts = [];
            start = -1;
            let value: Record<string, unknown>;
            try {
              value = JSON.parse(text) as Record<string, unknown>;
            } catch (err) {
              return fail(`record ${index + 1} (line ${recordLine}): invalid JSON: ${(err as Error).message}`);
            }
            yield { value, index, line: recordLine };
            index++;
            state = State.AfterValue;
          }
        }
        i++;
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (isSpace(c) || (c === BOM && state === State.Start)) {
        if (c === NL) line++;
        i++;
        continue;
      }
      switch (state) {
        case State.Start:
          if (c !== LBRACKET) fail(`line ${line}: expected a JSON array of records ('['), found ${show(chunk, i)}`);
          state = State.FirstValue;
          break;
        case State.FirstValue:
        case State.Value:
          if (c === LBRACE) {
            state = State.InValue;
            depth = 1;
            start = i;
            recordLine = line;
          } else if (c === RBRACKET && state === State.FirstValue) {
            state = State.Done;
          } else {
            fail(`record ${index + 1} (line ${line}): expected an object ('{'), found ${show(chunk, i)}`);
          }
          break;
        case State.AfterValue:
          if (c === COMMA) state = State.Value;
          else if (c === RBRACKET) state = State.Done;
          else fail(`after record ${index} (line ${line}): expected ',' or ']', found ${show(chunk, i)}`);
          break;
        case State.Done:
          fail(`line ${line}: unexpected ${show(chunk, i)} after the end of the array`);
      }
      i++;
    }
    if (state === State.InValue) parts.push(chunk.slice(start));
  }
  const end = state as State;
  if (end === State.Start) fail('empty input, expected a JSON array of records');
  if (end === State.InValue) fail(`record ${index + 1} (line ${recordLine}) is not closed: the file ends inside it (truncated?)`);
  if (end !== State.Done) fail(`the array is not closed after record ${index} (truncated?)`);
}

function show(chunk: string, i: number): string {
  return JSON.stringify(chunk.slice(i, i + 12));
}
