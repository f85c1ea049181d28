"""Training examples: the syntax-aware span curriculum (diffusion) and plain windows (AR).

A diffusion example is a window of one file in which 1–3 disjoint *spans* are replaced by canvases. A span
is either a tree-sitter node (expression, call arguments, condition, statement, block, body…) or a run of
whole lines inside a function or class body, the task users give the model. Each canvas holds the span's
tokens followed by 0..n+8 filler tokens, so the model learns to end a fill early (choose its length). The
pieces between spans and the spans are tokenized *separately*, as the engine does at inference, so no token
straddles a seam. Canvas tokens are masked with probability t ~ U(eps, 1) (MDLM); the rest stays visible.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

import tree_sitter_python
from tree_sitter import Language, Node, Parser

from unmask.model.tokenizer import CodeTokenizer

_PARSER = Parser(Language(tree_sitter_python.language()))

#: node kinds worth regenerating, by family; a span is drawn from these or from line runs.
SPAN_KINDS = frozenset(
    {
        "expression_statement", "return_statement", "if_statement", "for_statement", "while_statement",
        "with_statement", "try_statement", "raise_statement", "assert_statement", "block", "argument_list",
        "parameters", "call", "comparison_operator", "boolean_operator", "binary_operator", "list", "dictionary",
        "list_comprehension", "subscript", "attribute", "string", "conditional_expression", "assignment",
        "augmented_assignment", "lambda", "tuple", "not_operator", "import_from_statement", "decorator",
        "function_definition", "elif_clause", "else_clause", "keyword_argument", "return_type", "integer",
        "identifier", "generator_expression", "dictionary_comprehension", "set", "pair", "except_clause",
    }
)
BODY_KINDS = frozenset({"block"})
#: how many holes a function-centred row gets, and their probabilities
FUNCTION_HOLE_COUNTS: tuple[tuple[int, ...], tuple[float, ...]] = ((1, 2, 3), (0.6, 0.25, 0.15))
#: a function-centred hole is one body line (most of what users regenerate), a run of 2-5 lines, or a node
FUNCTION_HOLE_SHAPES: tuple[tuple[str, ...], tuple[float, ...]] = (("line", "lines", "node"), (0.5, 0.35, 0.15))
#: spans per row and their probabilities: the held-out evaluation's distribution (and the first 1,200 steps')
SPAN_COUNTS: tuple[tuple[int, ...], tuple[float, ...]] = ((1, 2, 3), (0.5, 0.3, 0.2))
#: what training uses since step 1,200: more spans per row, so a row scores several times more masked tokens
#: for the same forward/backward cost (with 1-3 spans only ~4% of a row's tokens carried a loss)
TRAIN_SPAN_COUNTS: tuple[tuple[int, ...], tuple[float, ...]] = ((1, 2, 3, 4, 6, 8), (0.15, 0.15, 0.2, 0.2, 0.15, 0.15))


@dataclass
class FunctionUnit:
    """A function definition of one file: chars ``start`` (its first line, decorators included) to ``end``,
    and ``body`` the char offset where its body's first statement after any docstring begins."""

    start: int
    end: int
    body: int
    indent: int  # of the ``def`` line


@dataclass
class FileSpans:
    nodes: list[tuple[int, int]]  # char spans of regenerable nodes
    lines: list[tuple[int, int, int]]  # (start char of line, end char after newline, indent) inside blocks
    functions: list[FunctionUnit] = field(default_factory=list)


def _char_offsets(text: str) -> list[int] | None:
    """byte offset -> char offset table, or None when the text is ASCII (then they are equal)."""
    if text.isascii():
        return None
    table = []
    for index, ch in enumerate(text):
        table.extend([index] * len(ch.encode("utf-8")))
    table.append(len(text))
    return table


def analyse(text: str) -> FileSpans:
    tree = _PARSER.parse(text.encode("utf-8"))
    table = _char_offsets(text)

    def conv(b: int) -> int:
        return b if table is None else table[b]

    nodes: list[tuple[int, int]] = []
    functions: list[FunctionUnit] = []
    block_lines: set[int] = set()
    stack: list[Node] = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in SPAN_KINDS and not node.has_error and node.end_byte - node.start_byte >= 2:
            size = node.end_byte - node.start_byte
            if size <= 600:
                nodes.append((conv(node.start_byte), conv(node.end_byte)))
        if node.type in BODY_KINDS:
            for row in range(node.start_point[0], node.end_point[0] + 1):
                block_lines.add(row)
        stack.extend(node.children)
        if node.type == "function_definition" and not node.has_error:
            unit = _function_unit(node, text, conv)
            if unit is not None:
                functions.append(unit)
    lines: list[tuple[int, int, int]] = []
    offset = 0
    for row, line in enumerate(text.splitlines(keepends=True)):
        stripped = line.strip()
        if row in block_lines and stripped and not stripped.startswith("#"):
            lines.append((offset, offset + len(line), len(line) - len(line.lstrip())))
        offset += len(line)
    functions.sort(key=lambda unit: unit.start)
    return FileSpans(nodes=nodes, lines=lines, functions=functions)


def _function_unit(node: Node, text: str, conv: Callable[[int], int]) -> FunctionUnit | None:
    body = node.child_by_field_name("body")
    if body is None or not body.named_children:
        return None
    outer = node.parent if node.parent is not None and node.parent.type == "decorated_definition" else node
    statements = [child for child in body.named_children if child.type != "comment"]
    first = statements[0] if statements else None
    if first is not None and first.type == "expression_statement" and first.named_children \
            and first.named_children[0].type == "string":
        statements = statements[1:]
    if not statements:
        return None
    start = conv(outer.start_byte)
    start = text.rfind("\n", 0, start) + 1  # the def line's start, with its indentation
    body_start = conv(statements[0].start_byte)
    body_start = text.rfind("\n", 0, body_start) + 1
    return FunctionUnit(start=start, end=conv(node.end_byte), body=body_start, indent=outer.start_point[1])


@dataclass
class Example:
    ids: list[int]
    targets: list[int]  # -100 where no loss; else the true token (at its own position)
    weight: float  # 1/t for the MDLM bound


class Curriculum:
    def __init__(
        self,
        files: list[str],
        tokenizer: CodeTokenizer,
        seq_len: int,
        seed: int = 0,
        *,
        uniform_share: float = 0.0,
        function_share: float = 0.0,
        isolated_share: float = 0.0,
        span_counts: tuple[tuple[int, ...], tuple[float, ...]] = SPAN_COUNTS,
    ) -> None:
        self.files = files
        self.uniform_share = uniform_share
        self.function_share = function_share
        self.isolated_share = isolated_share
        self.span_counts = span_counts
        self.tok = tokenizer
        self.seq_len = seq_len
        self.rng = random.Random(seed)
        self.cache: dict[int, FileSpans] = {}
        self.max_canvas = 96

    def spans_for(self, index: int) -> FileSpans:
        spans = self.cache.get(index)
        if spans is None:
            if len(self.cache) > 4000:
                self.cache.clear()
            spans = analyse(self.files[index])
            self.cache[index] = spans
        return spans

    # -- span choice ---------------------------------------------------------------------------------------

    def _line_run(self, text: str, spans: FileSpans) -> tuple[int, int] | None:
        if not spans.lines:
            return None
        first = self.rng.randrange(len(spans.lines))
        count = 1 if self.rng.random() < 0.55 else self.rng.randint(2, 8)
        start, end, indent = spans.lines[first]
        for follow in spans.lines[first + 1 : first + count]:
            if follow[0] != end or follow[2] < indent:
                break
            end = follow[1]
        style = self.rng.random()
        if style < 0.45:  # whole lines without the final newline: "    x = 1"
            end -= 1
        elif style < 0.8:  # without indentation and final newline: "x = 1"
            start += indent
            end -= 1
        # else: whole lines with their newline
        return (start, end) if end > start else None

    def _choose_spans(self, text: str, spans: FileSpans, lo: int, hi: int, count: int) -> list[tuple[int, int]]:
        chosen: list[tuple[int, int]] = []
        for _ in range(count * 6):
            if len(chosen) == count:
                break
            span: tuple[int, int] | None
            if self.rng.random() < 0.5 and spans.nodes:
                span = spans.nodes[self.rng.randrange(len(spans.nodes))]
            else:
                span = self._line_run(text, spans)
            if span is None or span[0] < lo or span[1] > hi or span[1] - span[0] > 400:
                continue
            if any(not (span[1] <= a or span[0] >= b) for a, b in chosen):
                continue
            chosen.append(span)
        return sorted(chosen)

    # -- examples ------------------------------------------------------------------------------------------

    def diffusion_example(self) -> Example:
        if self.uniform_share or self.function_share:  # no draw otherwise: the held-out rows stay the same rows
            draw = self.rng.random()
            if draw < self.uniform_share:
                return self.uniform_example()
            if draw < self.uniform_share + self.function_share:
                return self.function_example()
        while True:
            index = self.rng.randrange(len(self.files))
            text = self.files[index]
            spans = self.spans_for(index)
            if not spans.nodes and not spans.lines:
                continue
            window = int(self.seq_len * 4.5)  # more text than fits: rows come out full, no padding
            centre = self.rng.randrange(len(text))
            lo = max(0, centre - window // 2)
            hi = min(len(text), lo + window)
            count = self.rng.choices(self.span_counts[0], weights=self.span_counts[1])[0]
            chosen = self._choose_spans(text, spans, lo, hi, count)
            if not chosen:
                continue
            example = self._assemble(text, chosen, lo, hi)
            if example is not None:
                return example

    def function_example(self) -> Example:
        """A window that starts at a function (sometimes with some of the code before it) whose holes lie
        inside that function's body, after its docstring: the shape of a user's "regenerate these lines"."""
        while True:
            index = self.rng.randrange(len(self.files))
            text = self.files[index]
            spans = self.spans_for(index)
            units = spans.functions
            if not units:
                continue
            unit = self._pick_function(units)
            if unit.indent == 0 and self.isolated_share and self.rng.random() < self.isolated_share:
                # the file ends with this function: what a benchmark program or a function being written at the
                # end of a file looks like, its last lines followed by <|eos|> (without these rows a hole there
                # was filled with the body's inner lines instead of the closing `return`)
                text = text[: unit.end].rstrip() + "\n"
            lo = unit.start
            if self.rng.random() < 0.3 and lo:  # some code before the function, from a line start
                back = text.rfind("\n", 0, max(0, lo - self.rng.randint(1, 1500)))
                lo = back + 1
            hi = min(len(text), lo + int(self.seq_len * 4.5))
            limit = min(hi, lo + 3 * self.seq_len)  # holes stay where the row (with its filler) still reaches
            # the chosen function, then the others that start inside the window, each with its own holes
            # (realistic: one function's hole is not hidden by another's, and a row still scores several)
            chosen: list[tuple[int, int]] = []
            for other in [unit] + [u for u in units if unit.start < u.start < limit and u is not unit]:
                body_lines = self._body_lines(text, other, min(other.end, limit))
                if not body_lines:
                    continue
                count = self.rng.choices(FUNCTION_HOLE_COUNTS[0], weights=FUNCTION_HOLE_COUNTS[1])[0]
                for _ in range(count * 4):
                    if count == 0:
                        break
                    span = self._function_hole(spans, other, body_lines, limit)
                    if span is None or any(not (span[1] <= a or span[0] >= b) for a, b in chosen):
                        continue
                    chosen.append(span)
                    count -= 1
            if not chosen:
                continue
            example = self._assemble(text, sorted(chosen), lo, hi)
            if example is not None:
                return example

    def _pick_function(self, units: list[FunctionUnit]) -> FunctionUnit:
        """A function of the file; half the time a top-level one when there is one (the shape of most holes
        users leave: a standalone function with a docstring)."""
        top = [unit for unit in units if unit.indent == 0]
        pool = top if top and self.rng.random() < 0.5 else units
        return pool[self.rng.randrange(len(pool))]

    @staticmethod
    def _body_lines(text: str, unit: FunctionUnit, end: int) -> list[tuple[int, int, int]]:
        """(start, end after newline, indent) of the code lines of a function body before char ``end``."""
        out = []
        cursor = unit.body
        while cursor < end:
            newline = text.find("\n", cursor)
            stop = len(text) if newline == -1 else newline + 1
            if stop > end:
                break
            line = text[cursor:stop]
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                out.append((cursor, stop, len(line) - len(line.lstrip())))
            cursor = stop
        return out

    def _function_hole(
        self, spans: FileSpans, unit: FunctionUnit, body: list[tuple[int, int, int]], hi: int
    ) -> tuple[int, int] | None:
        shape = self.rng.choices(FUNCTION_HOLE_SHAPES[0], weights=FUNCTION_HOLE_SHAPES[1])[0]
        if shape == "node":
            end = min(unit.end, hi)
            # nodes come in tree order, not sorted; a function has few, so a linear filter is cheap enough
            inside = [span for span in spans.nodes if unit.body <= span[0] and span[1] <= end]
            return inside[self.rng.randrange(len(inside))] if inside else None
        first = self.rng.randrange(len(body))
        size = 1 if shape == "line" else self.rng.randint(2, 5)
        last = min(len(body) - 1, first + size - 1)
        start, end, indent = body[first][0], body[last][1], body[first][2]
        if end - start > 400:
            return None
        style = self.rng.random()
        if style < 0.45:  # whole lines without the final newline: "    x = 1"
            end -= 1
        elif style < 0.8:  # without the first line's indentation and the final newline: "x = 1"
            start += indent
            end -= 1
        return (start, end) if end > start else None

    def _assemble(self, text: str, chosen: list[tuple[int, int]], lo: int, hi: int) -> Example | None:
        pieces, holes, cursor = [], [], lo
        for a, b in chosen:
            pieces.append(text[cursor:a])
            holes.append(text[a:b])
            cursor = b
        pieces.append(text[cursor:hi])
        encoded = self.tok.encode_batch(pieces + holes)
        piece_ids, hole_ids = encoded[: len(pieces)], encoded[len(pieces) :]
        if any(len(h) == 0 or len(h) > self.max_canvas for h in hole_ids):
            return None
        t = self.rng.uniform(0.02, 1.0)
        canvases = []
        for hole in hole_ids:
            # filler: usually a little, sometimes as much as the span itself, so a generous canvas is familiar
            slack = len(hole) // 2 + 2 if self.rng.random() < 0.6 else len(hole) + 8
            extra = self.rng.randint(0, slack)
            canvases.append(hole + [self.tok.pad_id] * extra)
        body_len = sum(len(c) for c in canvases) + sum(len(p) for p in piece_ids[1:-1])
        room = self.seq_len - 1 - body_len
        if room < 8:
            return None
        # Split the remaining room between the leading and trailing context, preferring the prefix.
        head = piece_ids[0]
        tail = piece_ids[-1]
        keep_tail = min(len(tail), max(room // 3, room - len(head)))
        keep_head = min(len(head), room - keep_tail)
        head = head[len(head) - keep_head :] if keep_head else []
        tail = tail[:keep_tail]
        ids = [self.tok.bos_id] + head
        targets = [-100] * len(ids)
        middle = piece_ids[1:-1] + [tail]
        masked_any = False
        for canvas, piece in zip(canvases, middle):
            for token in canvas:
                if self.rng.random() < t:
                    ids.append(self.tok.mask_id)
                    targets.append(token)
                    masked_any = True
                else:
                    ids.append(token)
                    targets.append(-100)
            ids.extend(piece)
            targets.extend([-100] * len(piece))
        if not masked_any:
            return None
        if hi == len(text) and len(ids) < self.seq_len:
            ids.append(self.tok.eos_id)
            targets.append(-100)
        return Example(ids=ids[: self.seq_len], targets=targets[: self.seq_len], weight=min(1.0 / t, 5.0))

    def uniform_example(self) -> Example:
        """Plain MDLM: a window tokenized as one text, every token masked with probability t (no filler).
        Every masked token carries a loss, so these rows teach the language itself fastest."""
        while True:
            ids = self._window_ids(start_at_line=False)
            if ids is None:
                continue
            t = self.rng.uniform(0.02, 1.0)
            out, targets = [ids[0]], [-100]
            for token in ids[1:]:
                if token != self.tok.eos_id and self.rng.random() < t:
                    out.append(self.tok.mask_id)
                    targets.append(token)
                else:
                    out.append(token)
                    targets.append(-100)
            if any(target != -100 for target in targets):
                return Example(ids=out, targets=targets, weight=min(1.0 / t, 5.0))

    def _window_ids(self, start_at_line: bool, at_function: bool = False) -> list[int] | None:
        index = self.rng.randrange(len(self.files))
        text = self.files[index]
        window = int(self.seq_len * 4)
        units = self.spans_for(index).functions if at_function else []
        if units:
            start = self._pick_function(units).start
        else:
            start = 0 if self.rng.random() < 0.2 else self.rng.randrange(max(1, len(text) - window // 2))
        if start and start_at_line:  # begin at a line start, as real prefixes do
            newline = text.find("\n", start)
            start = newline + 1 if newline != -1 else start
        ids = self.tok.encode(text[start : start + window])
        if len(ids) < 16:
            return None
        ids = ([self.tok.bos_id] + ids)[: self.seq_len]
        if start + window >= len(text) and len(ids) < self.seq_len:
            ids.append(self.tok.eos_id)
        return ids

    def ar_example(self) -> Example:
        """A window from a line start; with probability ``function_share`` from a function's first line."""
        while True:
            at_function = self.function_share > 0 and self.rng.random() < self.function_share
            ids = self._window_ids(start_at_line=True, at_function=at_function)
            if ids is not None:
                return Example(ids=ids, targets=ids, weight=1.0)
