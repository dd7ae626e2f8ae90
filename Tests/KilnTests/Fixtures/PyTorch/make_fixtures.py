#!/usr/bin/env python3
"""Writes the .pth fixtures of Tests/KilnTests/PyTorchCheckpointTests.swift and
HostilePyTorchTests.swift (run from anywhere; writes next to this file).

  valid/*.pth        real torch.save output (needs `pip install torch`), plus
  expected.safetensors  the values Kiln must read: "<fixture>/<key>" -> F32 (or I64)
  hostile/*.pth      malicious pickles built with Python's pickle module, each wrapped in a
                     torch.save-style zip (archive/data.pkl, byteorder, version), and broken
                     containers (legacy, TorchScript, truncated, path tricks, ...)
  hostile/manifest.json  what each hostile file must be refused with
  --resnet18 IN.safetensors OUT.pth   torch.save of a safetensors state dict (used by the tests
                     when torch is installed; nothing is committed)

Every pickle payload would create /tmp/kiln-pickle-marker-<name> if it were ever executed; the
tests assert that no such file exists after Kiln refused them. Never torch.load these files.
"""
import collections, io, json, os, pickle, struct, sys, zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
VALID, HOSTILE = os.path.join(HERE, "valid"), os.path.join(HERE, "hostile")
MARKER = "/tmp/kiln-pickle-marker-"


# ---------------------------------------------------------------- valid fixtures (real torch)
def valid_fixtures():
    import torch
    torch.manual_seed(0)
    def r(*shape):
        return torch.randn(*shape)

    sd = collections.OrderedDict()
    fixtures = {}
    # plain dict
    fixtures["plain_dict"] = {"a": r(2, 3), "b": r(4)}
    # OrderedDict with _metadata, exactly what module.state_dict() returns
    m = torch.nn.Sequential(torch.nn.Conv2d(2, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.Linear(4, 2))
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn_like(p))
        m[1].running_mean.copy_(torch.randn(3)); m[1].running_var.copy_(torch.rand(3) + 0.5)
        m[1].num_batches_tracked.fill_(7)
    fixtures["ordered_dict"] = m.state_dict()
    # nested checkpoint, DataParallel-style "module." keys, and other training state
    inner = collections.OrderedDict((f"module.{k}", v) for k, v in m.state_dict().items())
    fixtures["nested_state_dict"] = {"epoch": 3, "arch": "tiny", "best_acc": 0.5, "state_dict": inner,
                                     "optimizer": {"state": {}, "param_groups": [{"lr": 0.1, "params": [0, 1]}]}}
    fixtures["nested_model"] = {"model": collections.OrderedDict(a=r(3)), "step": 10}
    # dtypes
    fixtures["dtypes"] = {"f16": r(2, 5).half(), "bf16": r(3, 2).bfloat16(), "i64": torch.arange(-3, 9).reshape(3, 4),
                          "scalar_i64": torch.tensor(12345678901), "f32_scalar": torch.tensor(2.5)}
    # views: storage offsets, non-contiguous, shared storage, parameters
    base = r(4, 6)
    shared = r(10)
    fixtures["views"] = {
        "row_view": base[1:3],                 # storage offset 6
        "column_slice": base[:, 2:5],          # non-contiguous, offset 2
        "transposed": base.t(),                # strides (1, 6)
        "step": base[::2, ::3],                # strides (12, 3)
        "shared_a": shared[:4],                # two tensors, one storage
        "shared_b": shared[3:].view(7, 1),
        "expanded": r(3, 1).expand(3, 4),      # stride 0
        "empty": base[4:],                     # no elements
        "param": torch.nn.Parameter(r(2, 2)),  # _rebuild_parameter
    }
    os.makedirs(VALID, exist_ok=True)
    expected = {}
    for name, obj in fixtures.items():
        torch.save(obj, os.path.join(VALID, f"{name}.pth"))
        d = obj["state_dict"] if "state_dict" in obj else obj["model"] if "model" in obj else obj
        for k, v in d.items():
            expected[f"{name}/{k}"] = v.detach()
    write_safetensors(os.path.join(HERE, "expected.safetensors"), expected, torch)
    print(f"valid: {len(fixtures)} files, torch {torch.__version__}")


def write_safetensors(path, tensors, torch):
    header, blobs, offset = {}, [], 0
    for k, v in tensors.items():
        if v.dtype in (torch.int64, torch.int32):
            dtype, raw = "I64", v.to(torch.int64).contiguous().numpy().astype("<i8").tobytes()
        else:
            dtype, raw = "F32", v.float().contiguous().numpy().astype("<f4").tobytes()
        header[k] = {"dtype": dtype, "shape": list(v.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw); offset += len(raw)
    h = json.dumps(header, sort_keys=True).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


# ---------------------------------------------------------------- hostile fixtures (no torch)
def torch_style_zip(path, members):
    """members: [(name, bytes)], STORED, like torch.save (which pads; padding is irrelevant)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)


def wrap(pkl, storages=(b"\0" * 16,), folder="archive", byteorder=b"little"):
    members = [(f"{folder}/data.pkl", pkl), (f"{folder}/byteorder", byteorder)]
    members += [(f"{folder}/data/{i}", s) for i, s in enumerate(storages)]
    return members + [(f"{folder}/version", b"3\n")]


class Call:
    """Pickles as `func(*args)`: what a malicious __reduce__ returns."""
    def __init__(self, func, *args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def state_dict_pickle(hooks=None, protocol=2):
    """A one-tensor state dict pickled like torch.save, with `hooks` as backward_hooks."""
    class Storage:
        pass

    class Tensor:
        def __reduce__(self):
            return (_rebuild_tensor_v2, (st, 0, (2, 2), (2, 1), False, hooks if hooks is not None else collections.OrderedDict()))

    st = Storage()
    buf = io.BytesIO()
    p = pickle.Pickler(buf, protocol=protocol)
    p.persistent_id = lambda o: ("storage", FloatStorage, "0", "cpu", 4) if o is st else None
    p.dump(collections.OrderedDict([("w", Tensor())]))
    return buf.getvalue()


# Stand-ins that pickle under torch's names, so no torch import is needed for the hostile suite.
import types
_torch = types.ModuleType("torch"); _utils = types.ModuleType("torch._utils")
def _rebuild_tensor_v2(*a): raise RuntimeError("never called")
_rebuild_tensor_v2.__module__ = "torch._utils"
class FloatStorage: pass
FloatStorage.__module__ = "torch"
_utils._rebuild_tensor_v2 = _rebuild_tensor_v2; _torch._utils = _utils; _torch.FloatStorage = FloatStorage


def hostile_fixtures():
    os.makedirs(HOSTILE, exist_ok=True)
    saved = {k: sys.modules.get(k) for k in ("torch", "torch._utils")}
    sys.modules["torch"], sys.modules["torch._utils"] = _torch, _utils
    try:
        cases = build_hostile_cases()
    finally:
        for k, v in saved.items():
            if v is None: sys.modules.pop(k, None)
            else: sys.modules[k] = v
    manifest = {}
    for name, (members, expect) in cases.items():
        path = os.path.join(HOSTILE, f"{name}.pth")
        if isinstance(members, bytes):
            open(path, "wb").write(members)
        else:
            torch_style_zip(path, members)
        manifest[name] = expect
    with open(os.path.join(HOSTILE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True); f.write("\n")
    print(f"hostile: {len(cases)} files")


def build_hostile_cases():
    import subprocess
    m = lambda n: MARKER + n
    g = lambda module, name: {"error": "forbiddenGlobal", "global": f"{module}.{name}"}
    c = {}
    # Code execution through REDUCE on a forbidden global, in every spelling pickle has.
    c["posix_system"] = (wrap(pickle.dumps(Call(os.system, f"touch {m('posix_system')}"), protocol=2)), g("posix", "system"))
    c["os_system"] = (wrap(b"\x80\x02cos\nsystem\nX" + struct.pack("<I", len(f"touch {m('os_system')}")) +
                           f"touch {m('os_system')}".encode() + b"\x85R."), g("os", "system"))
    c["builtins_eval"] = (wrap(pickle.dumps(Call(eval, f"open('{m('builtins_eval')}', 'w')"), protocol=2)), g("__builtin__", "eval"))
    c["builtins_eval_stack_global"] = (wrap(pickle.dumps(Call(eval, f"open('{m('builtins_eval_stack_global')}', 'w')"), protocol=4)),
                                       g("builtins", "eval"))
    c["subprocess_popen"] = (wrap(pickle.dumps(Call(subprocess.Popen, ["touch", m("subprocess_popen")]), protocol=2, fix_imports=False)),
                             g("subprocess", "Popen"))
    c["inst_os_system"] = (wrap(b"\x80\x02(X" + struct.pack("<I", len(f"touch {m('inst_os_system')}")) +
                                f"touch {m('inst_os_system')}".encode() + b"ios\nsystem\n."), g("os", "system"))
    # A valid-looking state dict whose tensor's rebuild arguments hide a call.
    c["nested_in_rebuild_args"] = (wrap(state_dict_pickle(collections.OrderedDict(h=Call(os.system, f"touch {m('nested_in_rebuild_args')}")))),
                                   g("posix", "system"))
    # An allowlisted-looking module with the wrong name.
    c["torch_utils_os"] = (wrap(b"\x80\x02ctorch._utils\nos\n)R."), g("torch._utils", "os"))
    c["torch_load"] = (wrap(b"\x80\x02ctorch\nload\nX\x01\x00\x00\x00x\x85R."), g("torch", "load"))
    # Resource bombs.
    bomb = ["lol"] * 10
    for _ in range(8):
        bomb = [bomb] * 10                       # memo references: 10^9 values from ~200 bytes
    c["memo_bomb"] = (wrap(pickle.dumps({"w": bomb}, protocol=2)), {"error": "limitExceeded"})
    deep = []
    for _ in range(5000):
        deep = [deep]
    sys.setrecursionlimit(20000)
    c["deep_nesting"] = (wrap(pickle.dumps(deep, protocol=2)), {"error": "limitExceeded"})
    c["huge_binunicode"] = (wrap(b"\x80\x02X\xff\xff\xff\x7fabc"), {"error": "malformedPickle"})
    c["long1_too_wide"] = (wrap(b"\x80\x02\x8a\x09" + b"\x01" * 9 + b"."), {"error": "malformedPickle"})
    c["newobj"] = (wrap(b"\x80\x02ccollections\nOrderedDict\n)\x81."), {"error": "unsupportedCall"})
    c["storage_key_path"] = (wrap(state_dict_pickle().replace(b"X\x01\x00\x00\x000", b"X\x05\x00\x00\x00../..")),
                             {"error": "malformedPickle"})
    # Containers.
    good = wrap(state_dict_pickle(), storages=(struct.pack("<4f", 1, 2, 3, 4),))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, d in good: z.writestr(zipfile.ZipInfo(n, (1980, 1, 1, 0, 0, 0)), d)
    whole = buf.getvalue()
    c["truncated"] = (whole[: len(whole) // 2], {"error": "malformedZip"})
    c["storage_too_short"] = (wrap(state_dict_pickle(), storages=(b"\0" * 12,)), {"error": "storageTooShort"})
    c["path_traversal"] = (good + [("../evil", b"x")], {"error": "unsafeMemberName"})
    c["absolute_path"] = (good + [("/etc/evil", b"x")], {"error": "unsafeMemberName"})
    c["duplicate_member"] = (good + [("archive/data/0", b"\0" * 16)], {"error": "duplicateMember"})
    c["torchscript"] = (good + [("archive/code/__torch__.py", b"def forward(self): ...\n"), ("archive/constants.pkl", b"\x80\x02).")],
                        {"error": "torchScriptArchive"})
    c["legacy_pickle"] = (b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03.", {"error": "legacyFormat"})
    c["bad_byteorder"] = (wrap(state_dict_pickle(), byteorder=b"middle"), {"error": "badByteOrder"})
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", state_dict_pickle())
        z.writestr("archive/data/0", b"\0" * (32 << 20))   # 32 MiB of zeros deflate to ~32 KiB
    c["zip_bomb"] = (zbuf.getvalue(), {"error": "malformedZip"})
    return c


def resnet18_pth(safetensors_path, out_path):
    """torch.save of the state dict in a safetensors file (the tests' ResNet-18 .pth, real torch)."""
    import numpy as np, torch
    raw = open(safetensors_path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header, base = json.loads(raw[8:8 + n]), 8 + n
    sd = collections.OrderedDict()
    for k, v in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"] if kv[0] != "__metadata__" else [-1]):
        if k == "__metadata__":
            continue
        b, e = v["data_offsets"]
        dtype = {"F32": np.float32, "I64": np.int64}[v["dtype"]]
        sd[k] = torch.from_numpy(np.frombuffer(raw[base + b:base + e], dtype=dtype).reshape(v["shape"]).copy())
    torch.save(sd, out_path)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--resnet18":
        resnet18_pth(sys.argv[2], sys.argv[3])
        sys.exit(0)
    hostile_fixtures()
    if "--hostile-only" not in sys.argv:
        valid_fixtures()
