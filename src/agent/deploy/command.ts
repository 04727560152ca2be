// Turns the seed's `command` string into argv WITHOUT a shell. The rules are a small subset
// of POSIX sh word splitting, enough for "redis-server --port 6380" or
// `sh -c "echo 'hi there'"`:
//  - unquoted whitespace separates words;
//  - '...' keeps everything literally;
//  - "..." keeps everything, except that \" \\ \$ and \` are unescaped;
//  - a backslash outside quotes makes the next character literal;
//  - nothing else is special: no variables, globs, pipes, redirections or `;`. They reach the
//    program as plain characters, so a deploy can never run a second command by accident.
// An unterminated quote or a trailing backslash is an error (the caller names the field).
export function splitCommand(input: string): string[] {
  const out: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (c === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) throw new SyntaxError(`unterminated single quote at offset ${i}`);
      word += input.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < input.length) {
        const d = input[i]!;
        if (d === '"') {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < input.length && '"\\$`'.includes(input[i + 1]!)) {
          word += input[i + 1];
          i += 2;
        } else {
          word += d;
          i++;
        }
      }
      if (!closed) throw new SyntaxError('unterminated double quote');
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= input.length) throw new SyntaxError('trailing backslash');
      word += input[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) out.push(word);
  return out;
}
