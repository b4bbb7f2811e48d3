// Minimal RFC 4180 CSV reading for the Broden tables (METHODS.md §5.1): quoted fields, doubled quotes, CRLF.
import { EngineError } from '../errors';

export interface CsvTable {
  header: string[];
  /** Data rows; `line` is the 1-based line number in the file (the header is line 1), for error messages. */
  rows: Array<{ cells: string[]; line: number }>;
}

export function parseCsv(text: string, file: string): CsvTable {
  const records: Array<{ cells: string[]; line: number }> = [];
  let cells: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  const endRecord = () => {
    cells.push(field);
    // A blank line (one empty field) is not a record.
    if (!(cells.length === 1 && cells[0] === '')) records.push({ cells, line: recordLine });
    cells = [];
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') { cells.push(field); field = ''; }
    else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else field += ch;
  }
  if (quoted) throw new EngineError('INPUT_INVALID', `${file}: unterminated quoted field starting on line ${recordLine}.`);
  if (field !== '' || cells.length) endRecord();
  if (!records.length) throw new EngineError('INPUT_INVALID', `${file} is empty: it needs a header line.`);
  const [head, ...rows] = records;
  const header = head.cells.map((h) => h.trim());
  for (const r of rows) {
    if (r.cells.length !== header.length)
      throw new EngineError('INPUT_INVALID', `${file} line ${r.line}: ${r.cells.length} fields, the header has ${header.length}.`);
  }
  return { header, rows };
}

/** Index of a required column, with an error naming the file and the columns it has. */
export function column(table: CsvTable, name: string, file: string): number {
  const i = table.header.indexOf(name);
  if (i < 0) throw new EngineError('INPUT_INVALID', `${file} has no '${name}' column (columns: ${table.header.join(', ')}).`);
  return i;
}
