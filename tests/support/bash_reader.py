"""Which executables a bash script runs: a small reader of bash's own grammar, for the image-facts test.

``called_commands(script)`` lexes the script the way bash does (quotes, escapes, comments,
here-documents, ``$( … )``/backquote/``<( … )`` substitutions, ``$(( … ))`` arithmetic, line
continuations) and walks its simple commands, so that only what bash would look up on PATH is
reported: not the script's own functions, builtins, reserved words, assignments (arrays too),
redirection targets, ``[[ … ]]`` tests, ``(( … ))`` arithmetic, ``for``/``select`` headers or
``case`` patterns. It follows what bash runs from strings and other commands: ``trap`` actions,
``eval``, ``sh -c``/``bash -c`` and ``find -exec``. A command it cannot see through (``xargs``,
``env``, ``timeout``…: they run their operands) is an error rather than a silent gap.

Grammar: GNU Bash Reference Manual (bash 5.2), §3.1.2 Quoting, §3.2 Shell Commands, §3.5.4
Command Substitution, §3.5.6 Process Substitution, §3.6.6 Here Documents. The builtin and
reserved-word lists are bash 5.2's (``compgen -b`` / ``compgen -k``; a test compares them with the
bash of this machine, Debian bookworm's, as in the postgres image).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

SHELLS = {"sh", "bash", "/bin/sh", "/bin/bash"}
BUILTINS = frozenset(
    ". : [ alias bg bind break builtin caller cd command compgen complete compopt continue declare dirs disown "
    "echo enable eval exec exit export false fc fg getopts hash help history jobs kill let local logout mapfile "
    "popd printf pushd pwd read readarray readonly return set shift shopt source suspend test times trap true "
    "type typeset ulimit umask unalias unset wait".split()
)
"""bash 5.2 ``compgen -b``: run inside bash, never looked up on PATH."""
RESERVED_WORDS = frozenset(
    "if then else elif fi case esac for select while until do done in function time { } ! [[ ]] coproc".split()
)
"""bash 5.2 ``compgen -k``; special only where a command starts."""
RUN_THEIR_OPERANDS = frozenset(
    "xargs env timeout nohup nice ionice chroot su sudo gosu setpriv runuser flock stdbuf watch taskset unshare nsenter".split()
)
"""External commands that run another command given as operands: teach the reader their syntax before using one."""

_SUBSTITUTION = "SUBSTITUTION"  # the word a substitution leaves (its output is unknown here)
_OPERATORS = sorted(
    "; & | ( ) < > ;; ;& ;;& && || |& >> << <<- <<< >& <& &> &>> >| <> (( ))".split(), key=len, reverse=True
)
_OPERATOR_CHARS = frozenset(";&|()<>")
_METACHARS = frozenset(" \t\n;&|()<>")
_SEPARATORS = frozenset({";", "&", "&&", "||", "|", "|&", "(", ")", "))", "\n"})
_CASE_ENDS = frozenset({";;", ";&", ";;&"})
_REDIRECTIONS = frozenset({"<", ">", ">>", "<<", "<<-", "<<<", ">&", "<&", "&>", "&>>", ">|", "<>"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?\+?=")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]*$")
_FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})


@dataclass(frozen=True)
class Token:
    text: str
    """A word as bash sees it after quote removal (substitutions stand as one placeholder), or an operator."""
    operator: bool = False
    glued: bool = False
    """No blank before it (a number glued to a redirection is its file descriptor)."""
    raw: str = ""
    """A word as written (quotes included): reserved words, assignments and delimiters are read from it."""

    @property
    def quoted(self) -> bool:
        return any(char in self.raw for char in "'\"\\")

    def is_operator(self, text: str) -> bool:
        return self.operator and self.text == text

    def is_word(self, text: str) -> bool:
        return not self.operator and self.raw == text


NEWLINE = Token("\n", operator=True)


def _closing_paren(text: str, start: int) -> int:
    """Index just past the ``)`` matching an ``(`` that ends at ``start`` (quotes, escapes, comments, nesting)."""
    depth, i, quote = 1, start, None
    while i < len(text):
        char = text[i]
        if quote == "'":
            quote = None if char == "'" else quote
        elif char == "\\":
            i += 1
        elif quote == '"':
            quote = None if char == '"' else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or text[i - 1] in _METACHARS):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced parenthesis after {text[max(0, start - 2) : start + 40]!r}")


class _Lexer:
    """bash's tokens of one script, and the bodies of the substitutions it holds (to read in turn)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[Token] = []
        self.bodies: list[str] = []
        self.heredocs: list[tuple[str, bool, bool]] = []  # pending: delimiter, strip tabs, body expands
        self.word: list[str] | None = None
        self.word_start = 0
        self.glued = False
        self.blank = True
        self.delimiter_next: bool | None = None  # after `<<`/`<<-`: the next word is a here-document delimiter

    def run(self) -> _Lexer:
        text, i = self.text, 0
        while i < len(text):
            char = text[i]
            if char == "\\" and text.startswith("\n", i + 1):  # line continuation
                i += 2
            elif char in " \t":
                self._end_word(i)
                self.blank, i = True, i + 1
            elif char == "\n":
                self._end_word(i)
                self.tokens.append(NEWLINE)
                self.blank, i = True, self._heredoc_bodies(i + 1)
            elif char == "#" and self.word is None:  # a comment runs to the end of the line
                end = text.find("\n", i)
                i = len(text) if end < 0 else end
            elif char in "<>" and text.startswith("(", i + 1):  # process substitution <( … ) / >( … )
                self._start_word(i)
                end = _closing_paren(text, i + 2)
                self.bodies.append(text[i + 2 : end - 1])
                self.word.append(_SUBSTITUTION)  # type: ignore[union-attr]
                i = end
            elif char in _OPERATOR_CHARS:
                self._end_word(i)
                operator = next(o for o in _OPERATORS if text.startswith(o, i))
                self.tokens.append(Token(operator, operator=True, glued=not self.blank))
                self.blank, i = False, i + len(operator)
                if operator in ("<<", "<<-"):
                    self.delimiter_next = operator == "<<-"
            else:
                self._start_word(i)
                i = self._word_part(i)
        self._end_word(len(text))
        if self.heredocs:
            raise ValueError(f"here-document {self.heredocs[0][0]!r} is never closed")
        return self

    def _start_word(self, i: int) -> None:
        if self.word is None:
            self.word, self.word_start, self.glued = [], i, not self.blank
        self.blank = False

    def _end_word(self, i: int) -> None:
        if self.word is None:
            return
        token = Token("".join(self.word), glued=self.glued, raw=self.text[self.word_start : i])
        self.tokens.append(token)
        if self.delimiter_next is not None:
            self.heredocs.append((token.text, self.delimiter_next, not token.quoted))
            self.delimiter_next = None
        self.word = None

    def _heredoc_bodies(self, i: int) -> int:
        """Read the bodies of the here-documents started on the line that just ended; return where code resumes."""
        text = self.text
        for delimiter, strip_tabs, expands in self.heredocs:
            body: list[str] = []
            while True:
                if i >= len(text):
                    raise ValueError(f"here-document {delimiter!r} is never closed")
                end = text.find("\n", i)
                end = len(text) if end < 0 else end
                line, i = text[i:end], end + 1
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
                body.append(line)
            if expands:  # an unquoted delimiter: $( … ), ` … ` and $(( … )) run inside the body
                self._expansions_in("\n".join(body))
        self.heredocs = []
        return i

    def _expansions_in(self, text: str) -> None:
        """Substitutions in text where quotes are literal (here-document bodies, arithmetic)."""
        outer, self.text, self.word = (self.text, self.word), text, []
        i = 0
        while i < len(text):
            if text[i] == "\\":
                i += 2
            elif text[i] in "$`":
                i = self._expansion(i)
            else:
                i += 1
        self.text, self.word = outer

    def _word_part(self, i: int) -> int:
        text, word = self.text, self.word
        assert word is not None
        char = text[i]
        if char == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise ValueError(f"unbalanced single quote at {text[i : i + 40]!r}")
            word.append(text[i + 1 : end])
            return end + 1
        if char == "$" and text.startswith("'", i + 1):  # $'…' (ANSI-C quoting)
            j = i + 2
            while j < len(text) and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            if j >= len(text):
                raise ValueError(f"unbalanced $' quote at {text[i : i + 40]!r}")
            word.append(text[i + 2 : j])
            return j + 1
        if char == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                if text[j] == "\\":  # escapes only $ ` " \ and a newline inside double quotes
                    escaped = text[j + 1 : j + 2]
                    word.append(escaped if escaped in '$`"\\' else "" if escaped == "\n" else "\\" + escaped)
                    j += 2
                elif text[j] in "$`":
                    j = self._expansion(j)
                else:
                    word.append(text[j])
                    j += 1
            if j >= len(text):
                raise ValueError(f"unbalanced double quote at {text[i : i + 40]!r}")
            return j + 1
        if char == "\\":
            word.append(text[i + 1 : i + 2])
            return i + 2
        if char in "$`":
            return self._expansion(i)
        word.append(char)
        return i + 1

    def _expansion(self, i: int) -> int:
        """``$((…))``, ``$(…)``, ``${…}``, backquotes or a plain ``$`` at ``i``; substitution bodies are kept."""
        text, word = self.text, self.word
        assert word is not None
        if text.startswith("$((", i):
            end = _closing_paren(text, i + 2)
            self._expansions_in(text[i + 3 : end - 2])  # arithmetic itself runs nothing; what it holds may
            word.append(_SUBSTITUTION)
            return end
        if text.startswith("$(", i):
            end = _closing_paren(text, i + 2)
            self.bodies.append(text[i + 2 : end - 1])
            word.append(_SUBSTITUTION)
            return end
        if text.startswith("${", i):
            depth, j = 1, i + 2
            while j < len(text) and depth:
                if text[j] == "\\":
                    j += 2
                    continue
                if text.startswith("$(", j) or text.startswith("`", j):
                    j = self._expansion(j)
                    continue
                depth += {"{": 1, "}": -1}.get(text[j], 0)
                j += 1
            word.append(text[i:j])
            return j
        if text[i] == "`":
            j = i + 1
            while j < len(text) and text[j] != "`":
                j += 2 if text[j] == "\\" else 1
            if j >= len(text):
                raise ValueError(f"unbalanced backquote at {text[i : i + 40]!r}")
            self.bodies.append(re.sub(r"\\([$`\\])", r"\1", text[i + 1 : j]))
            word.append(_SUBSTITUTION)
            return j + 1
        word.append("$")
        return i + 1


def _skip_to(tokens: list[Token], i: int, word: str) -> int:
    while i < len(tokens) and not tokens[i].is_word(word):
        i += 1
    if i >= len(tokens):
        raise ValueError(f"no {word!r} where bash expects one")
    return i + 1


def _skip_group(tokens: list[Token], i: int, depth: int) -> int:
    """Past the operators closing ``depth`` open parentheses (array values, ``(( … ))``)."""
    change = {"(": 1, ")": -1, "((": 2, "))": -2}
    while i < len(tokens) and depth > 0:
        if tokens[i].operator:
            depth += change.get(tokens[i].text, 0)
        i += 1
    return i


def _defines_function(tokens: list[Token], i: int) -> bool:
    """``name ( )`` at ``i`` (a function definition, not an array assignment)."""
    return (
        i + 2 < len(tokens)
        and not tokens[i].operator
        and _NAME.match(tokens[i].raw) is not None
        and tokens[i + 1].is_operator("(")
        and tokens[i + 2].is_operator(")")
    )


def _functions(tokens: list[Token]) -> set[str]:
    """Names the script defines as functions (``name ()`` or ``function name``), wherever they are called from."""
    names = {tokens[i].text for i in range(len(tokens)) if _defines_function(tokens, i)}
    names |= {tokens[i + 1].text for i in range(len(tokens) - 1) if tokens[i].is_word("function")}
    return names


def simple_commands(tokens: list[Token]) -> list[list[Token]]:
    """The words of each simple command (prefix assignments and redirections left out), in order."""
    commands: list[list[Token]] = []
    words: list[Token] = []
    cases: list[str] = []  # per open `case`: "pattern" while reading one, "body" after its `)`
    i = 0

    def flush() -> None:
        if words:
            commands.append(list(words))
            words.clear()

    while i < len(tokens):
        token = tokens[i]
        i += 1
        if cases and cases[-1] == "pattern":
            if token.is_word("esac"):
                cases.pop()
            elif token.is_operator(")"):
                cases[-1] = "body"
            continue
        if token.operator:
            if token.text in _REDIRECTIONS:
                previous = tokens[i - 2] if i >= 2 else None
                if token.glued and words and previous is words[-1] and previous.text.isdigit():
                    words.pop()  # `2>&1`: the number is the file descriptor
                if i < len(tokens) and not tokens[i].operator:
                    i += 1  # the target (a file, a descriptor or a here-document delimiter)
            elif token.text == "((" and not words:
                i = _skip_group(tokens, i, 2)  # an arithmetic command
            elif token.text in _CASE_ENDS:
                flush()
                if cases:
                    cases[-1] = "pattern"
            else:
                flush()
            continue
        word = token.raw
        if _ASSIGNMENT.match(word) and word.endswith("=") and i < len(tokens) and tokens[i].glued and tokens[i].is_operator("("):
            i = _skip_group(tokens, i + 1, 1)  # name=( … ) / name+=( … ): array values, not commands
            continue
        if not words:
            if word in ("for", "select"):
                i = _skip_to(tokens, i, "do")
                continue
            if word == "case":
                i = _skip_to(tokens, i, "in")
                cases.append("pattern")
                continue
            if word == "[[":
                i = _skip_to(tokens, i, "]]")
                continue
            if word == "function":
                i += 1
                if i + 1 < len(tokens) and tokens[i].is_operator("(") and tokens[i + 1].is_operator(")"):
                    i += 2
                continue
            if word == "esac" and cases:
                cases.pop()
                continue
            if word in RESERVED_WORDS:
                continue
            if _defines_function(tokens, i - 1):
                i += 2
                continue
            if _ASSIGNMENT.match(word):
                continue  # NAME=value before a command (or alone)
        words.append(token)
    flush()
    return commands


def _executables(words: list[str], functions: frozenset[str]) -> set[str]:
    if not words:
        return set()
    name, args = words[0], words[1:]
    if name == "exec":
        while args and args[0].startswith("-"):
            args = args[2:] if args[0] == "-a" else args[1:]
        return _executables(args, functions)
    if name == "command":
        if any(a in ("-v", "-V") for a in args[:2]):
            return set()  # a lookup, not a run
        return _executables([a for a in args if a != "-p"], functions)
    if name == "trap":
        args = args[1:] if args[:1] == ["--"] else args
        return called_commands(args[0], functions) if args and not args[0].startswith("-") else set()
    if name == "eval":
        return called_commands(" ".join(args), functions)
    if name in BUILTINS or name in functions or name == _SUBSTITUTION:
        return set()
    if os.path.basename(name) in RUN_THEIR_OPERANDS:
        raise ValueError(f"{name} runs its operands as a command: teach support/bash_reader.py its syntax")
    found = {name}
    if name in SHELLS and len(args) >= 2 and args[0] == "-c":
        found |= called_commands(args[1])
    if os.path.basename(name) == "find":
        for index, arg in enumerate(args):
            if arg in _FIND_EXEC:
                rest = args[index + 1 :]
                end = next((k for k, a in enumerate(rest) if a in (";", "+")), len(rest))
                found |= _executables(rest[:end], functions)
    return found


def called_commands(script: str, functions: frozenset[str] = frozenset()) -> set[str]:
    """Executables a bash script runs (PATH look-ups), recursively in substitutions and command strings."""
    lexed = _Lexer(script).run()
    functions = functions | _functions(lexed.tokens)
    found: set[str] = set()
    for body in lexed.bodies:
        found |= called_commands(body, functions)
    for command in simple_commands(lexed.tokens):
        found |= _executables([t.text for t in command], functions)
    return found
