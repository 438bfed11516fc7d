/**
 * Tokens of the CometQL SQL subset. Strings take the escapes mysqli_real_escape_string
 * writes (\0 \n \r \\ \' \" \Z) plus MySQL's others and '' doubling; comments are skipped.
 */
import { syntaxError } from './errors.js';

export type TokenType =
  | 'word' // bare identifier or keyword
  | 'quoted' // `backtick identifier`
  | 'string'
  | 'number'
  | 'sysvar' // @@name, @@session.name
  | 'punct' // ( ) , ; * = . -
  | 'op' // < > <= >= != <>: recognised only to refuse them clearly
  | 'end';

export interface Token {
  type: TokenType;
  /** Identifier / variable name, unescaped string, the number's text, or the punctuation. */
  value: string;
  /** Offset in the query where the token starts. */
  pos: number;
  /** Offset just past the token. */
  end: number;
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  b: '\b',
  n: '\n',
  r: '\r',
  t: '\t',
  Z: '\x1a',
  '%': '\\%',
  _: '\\_',
};

const WORD_START = /[A-Za-z_$]/;
const WORD_CHAR = /[A-Za-z0-9_$]/;
const DIGIT = /[0-9]/;

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && (i + 2 >= n || /\s/.test(sql[i + 2])))) {
      while (i < n && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      if (close === -1) throw syntaxError('unterminated comment', sql, i);
      i = close + 2;
    } else if (c === "'" || c === '"') {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw syntaxError('unterminated string', sql, start);
        const ch = sql[i];
        if (ch === '\\') {
          if (i + 1 >= n) throw syntaxError('unterminated string', sql, start);
          const next = sql[i + 1];
          value += ESCAPES[next] ?? next;
          i += 2;
        } else if (ch === c) {
          if (sql[i + 1] === c) {
            value += c;
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          value += ch;
          i++;
        }
      }
      tokens.push({ type: 'string', value, pos: start, end: i });
    } else if (c === '`') {
      const start = i;
      let value = '';
      i++;
      for (;;) {
        if (i >= n) throw syntaxError('unterminated identifier', sql, start);
        if (sql[i] === '`') {
          if (sql[i + 1] === '`') {
            value += '`';
            i += 2;
          } else {
            i++;
            break;
          }
        } else {
          value += sql[i];
          i++;
        }
      }
      if (value === '') throw syntaxError('empty identifier', sql, start);
      tokens.push({ type: 'quoted', value, pos: start, end: i });
    } else if (DIGIT.test(c) || (c === '.' && DIGIT.test(sql[i + 1] ?? ''))) {
      const start = i;
      while (i < n && DIGIT.test(sql[i])) i++;
      if (sql[i] === '.') {
        i++;
        while (i < n && DIGIT.test(sql[i])) i++;
      }
      if ((sql[i] === 'e' || sql[i] === 'E') && /[-+0-9]/.test(sql[i + 1] ?? '')) {
        i += sql[i + 1] === '-' || sql[i + 1] === '+' ? 2 : 1;
        if (!DIGIT.test(sql[i] ?? '')) throw syntaxError('bad number', sql, start);
        while (i < n && DIGIT.test(sql[i])) i++;
      }
      if (i < n && WORD_CHAR.test(sql[i])) throw syntaxError('bad number', sql, start);
      tokens.push({ type: 'number', value: sql.slice(start, i), pos: start, end: i });
    } else if (WORD_START.test(c)) {
      const start = i;
      while (i < n && WORD_CHAR.test(sql[i])) i++;
      tokens.push({ type: 'word', value: sql.slice(start, i), pos: start, end: i });
    } else if (c === '@' && sql[i + 1] === '@') {
      const start = i;
      i += 2;
      const nameStart = i;
      while (i < n && (WORD_CHAR.test(sql[i]) || sql[i] === '.')) i++;
      if (i === nameStart) throw syntaxError('expected a variable name', sql, start);
      tokens.push({ type: 'sysvar', value: sql.slice(nameStart, i), pos: start, end: i });
    } else if ('<>!'.includes(c)) {
      const start = i;
      const two = sql.slice(i, i + 2);
      const op = two === '<=' || two === '>=' || two === '!=' || two === '<>' ? two : c;
      i += op.length;
      tokens.push({ type: 'op', value: op, pos: start, end: i });
    } else if ('(),;*=.-+'.includes(c)) {
      tokens.push({ type: 'punct', value: c, pos: i, end: i + 1 });
      i++;
    } else {
      throw syntaxError(`unexpected character '${c}'`, sql, i);
    }
  }
  tokens.push({ type: 'end', value: '', pos: n, end: n });
  return tokens;
}
