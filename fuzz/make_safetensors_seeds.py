#!/usr/bin/env python3
"""Writes the safetensors seed corpus (fuzz/corpus/safetensors/): small valid files of every
dtype, one with __metadata__, edge cases and a few corrupt ones. Standard library only;
rerun it to regenerate the committed files byte for byte."""
import json, os, struct, sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "safetensors")
SIZES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1, "I16": 2, "U16": 2,
         "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "F64": 8, "I64": 8, "U64": 8}


def image(tensors, metadata=None, pad=True):
    """tensors: [(name, dtype, shape, bytes)] in data order -> the file's bytes."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:  # the reference writer pads the header with spaces to a multiple of 8
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def raw(dtype, count, seed):
    return bytes((seed * 37 + i * 11) & 0xFF for i in range(count * SIZES[dtype]))


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    for i, dtype in enumerate(SIZES):
        write(f"dtype_{dtype.lower()}.safetensors", image([("t", dtype, [2, 3], raw(dtype, 6, i))]))
    floats = struct.pack("<6f", 0.0, -0.0, 1.5, float("inf"), float("nan"), 1e-45)
    halves = struct.pack("<6H", 0x0000, 0x8000, 0x3C00, 0x7C00, 0x7E01, 0x0001)  # incl. NaN payload, subnormal
    write("special_values.safetensors", image([("f32", "F32", [6], floats), ("f16", "F16", [6], halves),
                                               ("bf16", "BF16", [6], halves)]))
    write("metadata.safetensors", image([("conv.weight", "F32", [1, 1, 2, 2], struct.pack("<4f", 1, 2, 3, 4)),
                                         ("num_batches_tracked", "I64", [], struct.pack("<q", 7))],
                                        metadata={"format": "pt", "kiln.graph": "{\"nodes\":[]}"}))
    write("empty_tensors.safetensors", image([("a", "F32", [0], b""), ("b", "F32", [0, 5], b""),
                                              ("c", "U8", [3], b"abc"), ("d", "BF16", [2, 0, 2], b"")]))
    # Valid, as in the reference implementation: a 0 before huge dimensions keeps the product 0.
    write("empty_huge_dims.safetensors", image([("t", "U8", [0, 9223372036854775807, 9223372036854775807], b"")]))
    write("scalar_and_unpadded.safetensors", image([("s", "F32", [], struct.pack("<f", 3.25))], pad=False))
    write("no_tensors.safetensors", image([], metadata={}))
    write("unicode_names.safetensors", image([("caf\u00e9.\u2713", "F16", [1], b"\x00\x3c"),
                                              ("\U0001F525", "I8", [2], b"\xff\x01")]))
    # Corrupt: each fails one validation rule.
    ok = image([("t", "F32", [2], struct.pack("<2f", 1, 2))])
    write("bad_truncated.safetensors", ok[:-3])
    write("bad_short.safetensors", b"\x08\x00\x00")
    write("bad_header_size.safetensors", struct.pack("<Q", 1 << 40) + ok[8:])
    write("bad_not_json.safetensors", struct.pack("<Q", 8) + b"{\"t\":[1," + b"\0" * 4)
    write("bad_not_utf8.safetensors", struct.pack("<Q", 4) + b"{\"\xff\"")
    bad_entries = {
        "bad_overlap": {"a": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]},
                        "b": {"dtype": "U8", "shape": [2], "data_offsets": [1, 3]}},
        "bad_byte_count": {"t": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}},
        "bad_offsets_reversed": {"t": {"dtype": "U8", "shape": [0], "data_offsets": [4, 2]}},
        "bad_out_of_range": {"t": {"dtype": "U8", "shape": [16], "data_offsets": [0, 16]}},
        "bad_dtype": {"t": {"dtype": "F4", "shape": [1], "data_offsets": [0, 1]}},
        "bad_shape": {"t": {"dtype": "U8", "shape": [-1, 1.5], "data_offsets": [0, 1]}},
        "bad_huge_shape": {"t": {"dtype": "U8", "shape": [9223372036854775807, 2, 0], "data_offsets": [0, 0]}},
        "bad_metadata": {"__metadata__": {"k": 1}, "t": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}},
        "bad_missing_field": {"t": {"dtype": "U8", "data_offsets": [0, 1]}},
    }
    for name, header in bad_entries.items():
        text = json.dumps(header, separators=(",", ":")).encode()
        write(f"{name}.safetensors", struct.pack("<Q", len(text)) + text + b"\x01\x02\x03\x04")


if __name__ == "__main__":
    sys.exit(main())
