// Minimal RFC 4180 CSV reading with line numbers: traces are plain comma-separated files with an
// occasional quoted field, and every row must be traceable to its line for error messages.

/** One CSV record and the 1-based line it starts on. */
export interface CsvRow {
  line: number;
  fields: string[];
}

/** Split CSV text into records (quoted fields may contain commas, quotes and newlines). */
export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === '') { quoted = true; any = true; continue; }
    if (ch === ',') { fields.push(field); field = ''; any = true; continue; }
    if (ch === '\r') continue;
    if (ch === '\n') {
      fields.push(field);
      if (any || field !== '') rows.push({ line: rowLine, fields });
      fields = []; field = ''; any = false;
      line++; rowLine = line;
      continue;
    }
    field += ch; any = true;
  }
  if (any || field !== '') { fields.push(field); rows.push({ line: rowLine, fields }); }
  return rows;
}

/** Map a header row to column indices, checking required columns exist. */
export function headerIndex(header: string[], required: string[]): { index: Map<string, number>; missing: string[] } {
  const index = new Map(header.map((h, i) => [h.trim().toLowerCase(), i]));
  return { index, missing: required.filter((r) => !index.has(r)) };
}
