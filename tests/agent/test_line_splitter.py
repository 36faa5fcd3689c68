from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from octopus_agent.executor import LineSplitter, decode_line


def split(chunks: list[bytes], max_bytes: int = 100) -> list[str]:
    lines: list[str] = []
    splitter = LineSplitter(max_bytes, lines.append)
    for chunk in chunks:
        splitter.feed(chunk)
    splitter.close()
    return lines


def cut(text: str, max_bytes: int) -> str:
    return f"{text} …[line cut at {max_bytes} bytes]"


def test_line_splitter_joins_a_line_split_across_chunks() -> None:
    assert split([b"hel", b"lo\nwor", b"ld\n", b"\n"]) == ["hello", "world", ""]


def test_line_splitter_keeps_a_character_split_across_chunks() -> None:
    assert split([b"caf\xc3", b"\xa9\n"]) == ["café"]


def test_line_splitter_drops_the_cr_of_crlf() -> None:
    assert split([b"one\r\ntwo\r", b"\nthree\r\n"]) == ["one", "two", "three"]
    assert split([b"a\rb\n"]) == ["a\rb"]  # only a CR ending the line goes


def test_line_splitter_keeps_invalid_utf8_readable() -> None:
    assert split([b"caf\xe9 \xff\xfe ok\n"]) == ["caf\\xe9 \\xff\\xfe ok"]


def test_line_splitter_escapes_nul() -> None:
    assert split([b"a\x00b\n"]) == ["a\\x00b"]


def test_line_splitter_cuts_an_overlong_line_and_drops_its_rest() -> None:
    assert split([b"0123456789abcdef\nnext\n"], max_bytes=10) == [cut("0123456789", 10), "next"]


def test_line_splitter_keeps_a_line_of_exactly_max_bytes() -> None:
    assert split([b"0123456789\n"], max_bytes=10) == ["0123456789"]
    assert split([b"0123456789"], max_bytes=10) == ["0123456789"]


def test_line_splitter_cuts_an_overlong_line_arriving_in_many_chunks() -> None:
    data = b"x" * 95 + b"\nafter\n"
    chunks = [data[i : i + 3] for i in range(0, len(data), 3)]
    assert split(chunks, max_bytes=10) == [cut("x" * 10, 10), "after"]
    # One byte at a time, and a final over-long line that never ends.
    data = b"first\n" + b"y" * 40 + b"\n" + b"z" * 40
    assert split([bytes([b]) for b in data], max_bytes=10) == [
        "first",
        cut("y" * 10, 10),
        cut("z" * 10, 10),
    ]


def test_line_splitter_emits_the_final_partial_line_on_close() -> None:
    assert split([b"a\nb"]) == ["a", "b"]
    assert split([b"a\n"]) == ["a"]
    assert split([]) == []


def reference(data: bytes, max_bytes: int) -> list[str]:
    """What a splitter with the whole stream at once should emit."""
    parts = data.split(b"\n")
    if parts[-1] == b"":
        parts.pop()  # the stream ended with a newline: no partial line
    return [
        decode_line(part)
        if len(part) <= max_bytes
        else cut(decode_line(part[:max_bytes]), max_bytes)
        for part in parts
    ]


stream_bytes = st.lists(
    st.sampled_from([b"a", b"b", b"\n", b"\r", b"\x00", b"\xff", b"\xc3", b"\xa9", "é".encode()]),
    max_size=60,
).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), max_bytes=st.integers(min_value=1, max_value=16))
def test_line_splitter_output_does_not_depend_on_chunking(
    data: st.DataObject, max_bytes: int
) -> None:
    stream = data.draw(stream_bytes)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    chunks = [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]
    assert split(chunks, max_bytes) == reference(stream, max_bytes)


@settings(max_examples=200, deadline=None)
@given(chunks=st.lists(st.binary(max_size=200), max_size=20), max_bytes=st.integers(1, 300))
def test_line_splitter_never_raises_on_any_bytes(chunks: list[bytes], max_bytes: int) -> None:
    lines = split(chunks, max_bytes)
    assert all("\x00" not in line and "\n" not in line for line in lines)
