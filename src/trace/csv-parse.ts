import { ImgscanError } from '../errors.js';

/**
 * A streaming CSV parser (RFC 4180, as pandas `to_csv` writes it): comma separators, fields optionally
 * quoted with `"`, quotes doubled inside quoted fields, quoted fields may hold commas and line breaks,
 * LF or CRLF line ends. Text arrives in chunks of any size. Blank lines are skipped.
 */
export interface CsvRecord {
  fields: string[];
  /** Line where the record starts, from 1. */
  line: number;
}

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
}

/** Yields the records (header included) of CSV text read from chunks. `where` names the input in errors. */
export async function* readCsv(chunks: AsyncIterable<string>, where = 'input'): AsyncGenerator<CsvRecord> {
  let state = State.FieldStart;
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let skipLf = false;
  let quoteLine = 0;
  const fail = (message: string): never => {
    throw new ImgscanError('TRACE_INVALID', message, { path: where });
  };
  function* endRecord(): Generator<CsvRecord> {
    fields.push(field);
    field = '';
    const record = fields;
    fields = [];
    state = State.FieldStart;
    if (!(record.length === 1 && record[0] === '')) yield { fields: record, line: recordLine };
  }
  for await (const chunk of chunks) {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const c = chunk[i];
      if (skipLf) {
        skipLf = false;
        if (c === '\n') {
          i++;
          continue;
        }
      }
      switch (state) {
        case State.FieldStart:
          if (fields.length === 0 && field === '') recordLine = line;
          if (c === '"') {
            state = State.Quoted;
            quoteLine = line;
            i++;
            continue;
          }
          state = State.Unquoted;
        // falls through
        case State.Unquoted: {
          let j = i;
          while (j < n) {
            const d = chunk[j];
            if (d === ',' || d === '\n' || d === '\r') break;
            j++;
          }
          field += chunk.slice(i, j);
          i = j;
          if (j === n) continue;
          const d = chunk[j];
          i++;
          if (d === ',') {
            fields.push(field);
            field = '';
            state = State.FieldStart;
          } else {
            line++;
            skipLf = d === '\r';
            yield* endRecord();
          }
          continue;
        }
        case State.Quoted: {
          const q = chunk.indexOf('"', i);
          const end = q === -1 ? n : q;
          for (let k = i; k < end; k++) if (chunk.charCodeAt(k) === 0x0a) line++;
          field += chunk.slice(i, end);
          i = end;
          if (q !== -1) {
            state = State.QuoteInQuoted;
            i++;
          }
          continue;
        }
        case State.QuoteInQuoted:
          if (c === '"') {
            field += '"';
            state = State.Quoted;
            i++;
          } else if (c === ',') {
            fields.push(field);
            field = '';
            state = State.FieldStart;
            i++;
          } else if (c === '\n' || c === '\r') {
            line++;
            skipLf = c === '\r';
            i++;
            yield* endRecord();
          } else {
            fail(`line ${line}: unexpected ${JSON.stringify(c)} after the closing quote of field ${fields.length + 1}`);
          }
          continue;
      }
    }
  }
  if (state === State.Quoted) fail(`line ${quoteLine}: quoted field ${fields.length + 1} is not closed at the end of the file`);
  if (state !== State.FieldStart || fields.length > 0 || field !== '') yield* endRecord();
}
