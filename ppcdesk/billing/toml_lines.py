"""Find the line of every key in a TOML text: tomllib reads values but forgets where they were.

Why: a refused contract file must name the line of the bad key ("contracts.toml:14: ...").
:func:`key_lines` walks a text that tomllib has already accepted and maps each key's path to
the 1-based line it is written on. A path is what you would index the parsed dict with:
``("contract", 2, "price", "tiers", 1)`` is the second tier of the third ``[[contract]]``.
It knows table headers, arrays of tables (counted per parent), dotted and quoted keys, inline
tables, and arrays spanning lines, and skips strings and comments so that a ``#`` or ``[`` inside
a string never misleads it. :func:`line_of` answers for the nearest written ancestor when a path
was never written itself (a key that is missing, or that a default filled in).
"""

from __future__ import annotations

KeyPath = tuple[str | int, ...]
_BARE_END = frozenset(" \t\r\n=.]}#,")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.lines: dict[KeyPath, int] = {}
        self.arrays: dict[KeyPath, int] = {}  # array-of-tables path -> elements seen

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.text[index] if index < len(self.text) else ""

    def advance(self, count: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + count)
        self.pos += count

    def skip_blank(self, *, newlines: bool) -> None:
        """Skip spaces, comments and (when ``newlines``) line breaks."""
        while self.pos < len(self.text):
            char = self.peek()
            if char in " \t" or (newlines and char in "\r\n"):
                self.advance()
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self.advance((len(self.text) if end < 0 else end) - self.pos)
            else:
                return

    def record(self, path: KeyPath, line: int) -> None:
        self.lines.setdefault(path, line)

    def key(self) -> list[str]:
        """Read a dotted key (``a."b c".d``) and return its parts."""
        parts: list[str] = []
        while True:
            self.skip_blank(newlines=False)
            char = self.peek()
            if char in "\"'":
                parts.append(self.string())
            else:
                start = self.pos
                while self.pos < len(self.text) and self.peek() not in _BARE_END:
                    self.advance()
                parts.append(self.text[start:self.pos])
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return parts
            self.advance()

    def string(self) -> str:
        """Read any of TOML's four string forms; return its text (escapes resolved roughly)."""
        quote = self.peek()
        if self.text.startswith(quote * 3, self.pos):
            self.advance(3)
            end = self.pos
            while True:
                end = self.text.find(quote * 3, end)
                if end < 0:  # not valid TOML: tomllib refused it before we got here
                    end = len(self.text)
                    break
                if quote == '"' and _escaped(self.text, end):
                    end += 1
                    continue
                break
            while self.text.startswith(quote, end + 3):  # up to two quotes may close it
                end += 1
            body = self.text[self.pos:end]
            self.advance(end + 3 - self.pos)
            return body
        self.advance()
        start = self.pos
        while self.pos < len(self.text) and self.peek() != quote:
            self.advance(2 if quote == '"' and self.peek() == "\\" else 1)
        body = self.text[start:self.pos]
        self.advance()
        return _unescape(body) if quote == '"' else body

    def value(self, path: KeyPath) -> None:
        """Skip one value, recording the paths inside inline tables and arrays."""
        char = self.peek()
        if char in "\"'":
            self.string()
        elif char == "{":
            self.advance()
            self.skip_blank(newlines=False)
            while self.pos < len(self.text) and self.peek() != "}":
                self.key_value(path)
                self.skip_blank(newlines=False)
                if self.peek() == ",":
                    self.advance()
                    self.skip_blank(newlines=False)
            self.advance()
        elif char == "[":
            self.advance()
            index = 0
            self.skip_blank(newlines=True)
            while self.pos < len(self.text) and self.peek() != "]":
                self.record((*path, index), self.line)
                self.value((*path, index))
                index += 1
                self.skip_blank(newlines=True)
                if self.peek() == ",":
                    self.advance()
                    self.skip_blank(newlines=True)
            self.advance()
        else:  # numbers, booleans, dates and times: up to the next separator
            while self.pos < len(self.text) and self.peek() not in ",]}#\r\n":
                self.advance()

    def key_value(self, table: KeyPath) -> None:
        line = self.line
        path = (*table, *self.key())
        for depth in range(len(table) + 1, len(path) + 1):  # a.b.c = 1 also writes a.b
            self.record(path[:depth], line)
        self.skip_blank(newlines=False)
        self.advance()  # "="
        self.skip_blank(newlines=False)
        self.value(path)

    def header(self) -> KeyPath:
        """Read ``[a.b]`` or ``[[a.b]]``; return the path the following keys belong to."""
        line = self.line
        double = self.text.startswith("[[", self.pos)
        self.advance(2 if double else 1)
        parts = self.key()
        self.advance(2 if double else 1)
        path: KeyPath = ()
        for number, part in enumerate(parts, 1):
            path = (*path, part)
            if double and number == len(parts):
                index = self.arrays.get(path, 0)
                self.arrays[path] = index + 1
                self.record(path, line)
                path = (*path, index)
            elif path in self.arrays:  # [contract.price] belongs to the last [[contract]]
                path = (*path, self.arrays[path] - 1)
            self.record(path, line)
        return path

    def document(self) -> dict[KeyPath, int]:
        table: KeyPath = ()
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return self.lines
            if self.peek() == "[":
                table = self.header()
            else:
                self.key_value(table)


def _escaped(text: str, index: int) -> bool:
    backslashes = 0
    while index - backslashes - 1 >= 0 and text[index - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def _unescape(body: str) -> str:
    # Keys quoted with escapes are rare; resolving the common ones is enough to find them.
    if "\\" not in body:
        return body
    return (body.replace('\\"', '"').replace("\\t", "\t").replace("\\n", "\n")
            .replace("\\\\", "\\"))


def key_lines(text: str) -> dict[KeyPath, int]:
    """Map each key path written in ``text`` (valid TOML) to its 1-based line."""
    return _Scanner(text).document()


def line_of(lines: dict[KeyPath, int], path: KeyPath) -> int:
    """The line of ``path``, or of its nearest written ancestor; 1 if none was written."""
    for depth in range(len(path), 0, -1):
        if path[:depth] in lines:
            return lines[path[:depth]]
    return 1
