/**
 * Plain text tables for the demos (`npm start`): aligned columns, numbers right-aligned, no index column and no
 * box drawing, so they stay readable in a 100-column terminal. console.table adds an `(index)` column and quotes
 * strings.
 *
 * @example
 * ```ts
 * console.log(table([{ shard: 'shardId-000000000000', records: 5 }]));
 * //   shard                 records
 * //   shardId-000000000000        5
 * ```
 */
/** An undefined cell is left blank. */
export type Row = Record<string, string | number | undefined>;

export function table(rows: Row[], options: { indent?: string } = {}): string {
  const indent = options.indent ?? '  ';
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const numeric = columns.map((column) => rows.every((row) => typeof (row[column] ?? 0) === 'number'));
  const text = (row: Row, column: string) => {
    const value = row[column];
    return value === undefined ? '' : typeof value === 'number' ? value.toLocaleString('en-US') : value;
  };
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => text(row, column).length)),
  );
  const line = (cells: string[]) =>
    indent +
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((row) => line(columns.map((column) => text(row, column))))].join('\n');
}

/** Long digit runs (Kinesis sequence numbers) shortened to their first and last 4 digits: 4968…7410. */
export function shortenDigits(text: string): string {
  return text.replace(/\d{16,}/g, (digits) => `${digits.slice(0, 4)}…${digits.slice(-4)}`);
}
