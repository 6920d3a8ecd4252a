// A YAML writer for the pack's plain data (objects, arrays, strings, numbers, booleans), so the
// shipped generator needs no YAML library. Multi-line strings become literal blocks (`|-`), other
// strings are plain when YAML reads them back unchanged and JSON-quoted (valid YAML) otherwise.

type Plain = string | number | boolean | null | Plain[] | { [key: string]: Plain };

const PLAIN = /^[A-Za-z_/$][\w .,:/$(){}|=~"'+*<>!-]*$/;
const RESERVED = /^(?:true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return JSON.stringify(value);
  if (/^\d+(?:ms|s|m|h|d)$/.test(value)) return value; // durations read back as strings
  const plain = PLAIN.test(value) && !RESERVED.test(value) && !/: |\s#| $|^- /.test(value) && !value.endsWith(':');
  return plain ? value : JSON.stringify(value);
}

function block(value: string, indent: string): string | null {
  if (!value.includes('\n') || /[ \t]$/m.test(value) || /^\s/.test(value) || /[^\S\n]\n|\r/.test(value)) return null;
  return `|-\n${value.split('\n').map((line) => (line === '' ? '' : `${indent}${line}`)).join('\n')}`;
}

function write(value: Plain, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return ' []';
    return value.map((item) => `\n${indent}-${inline(item, `${indent}  `)}`).join('');
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return ' {}';
    return entries.map(([k, v]) => `\n${indent}${scalar(k)}:${write(v, `${indent}  `)}`).join('');
  }
  if (typeof value === 'string') {
    const literal = block(value, indent);
    if (literal) return ` ${literal}`;
  }
  return ` ${scalar(value)}`;
}

/** An array item: its first key goes on the dash line. */
function inline(value: Plain, indent: string): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    return ` ${write(value, indent).slice(1 + indent.length)}`;
  }
  return write(value, indent);
}

/** The YAML document for `value` (a JSON-compatible object), ending in a newline. */
export function toYaml(value: unknown): string {
  return `${write(JSON.parse(JSON.stringify(value)) as Plain, '').replace(/^\n/, '')}\n`;
}
