/**
 * The syslog JSON fast path writes straight into the writer's buffer after reserving room for a clean line
 * (twice the line, plus constants); a message that needs escaping is checked against what is left, counting
 * what follows it (timestamp, RFC 5424 fields, MSGID, STRUCTURED-DATA). Here the writer holds exactly the room
 * reserved and no more, so any undercount loses bytes: every line must come out as the string path writes it.
 */
import { describe, expect, it } from 'vitest';
import { ByteWriter, syslogRecordToJson, writeSyslogJson } from '../../../shared/logformats';

const referenceTime = Date.UTC(2024, 9, 11, 22, 15, 0);

function exactRoom(line: string): string {
  const bytes = Buffer.from(line);
  // The fast path reserves 2 * length + 600 bytes: a writer of exactly that size does not grow for it.
  const writer = new ByteWriter(2 * bytes.length + 600);
  writeSyslogJson(bytes, 0, bytes.length, writer, { referenceTime });
  return Buffer.from(writer.finish()).toString('utf8');
}

function reference(line: string): string {
  return Buffer.from(syslogRecordToJson(Buffer.from(line), new ByteWriter(), { referenceTime })).toString(
    'utf8',
  );
}

const sd = (params: number) =>
  `[exampleSDID@32473 ${Array.from({ length: params }, (_, i) => `p${i}="${'v'.repeat(i % 7)}"`).join(' ')}]`;

describe('syslog JSON fast path: escapes in a message followed by long fields, in exactly the room reserved', () => {
  // The escapes' count runs through every value up to 400, so the room left after the message crosses what
  // follows it for each shape of the fields after it.
  it.each([
    ['-', '-'],
    ['M'.repeat(32), '-'],
    ['-', sd(3)],
    ['M'.repeat(32), sd(40)],
    ['M'.repeat(300), '-'],
    ['M'.repeat(300), sd(3)],
    ['-', sd(64)],
  ])('MSGID %s, STRUCTURED-DATA %s', (msgid, data) => {
    const differ: number[] = [];
    for (let escapes = 1; escapes <= 400; escapes++) {
      const line = `<165>1 2024-10-11T22:14:15.003Z host.example.com app 1234 ${msgid} ${data} ${'\u0001'.repeat(escapes)}`;
      if (exactRoom(line) !== reference(line)) differ.push(escapes);
    }
    expect(differ).toEqual([]);
  });

  it('RFC 3164', () => {
    const differ: number[] = [];
    for (let escapes = 1; escapes <= 400; escapes++) {
      const line = `<13>Oct 11 22:14:15 host app[1]: ${'\u0001'.repeat(escapes)}`;
      if (exactRoom(line) !== reference(line)) differ.push(escapes);
    }
    expect(differ).toEqual([]);
  });
});
