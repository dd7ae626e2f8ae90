#!/usr/bin/env python3
"""Writes the PyTorch-checkpoint seed corpus (fuzz/corpus/pytorch/). Bare pickles (*.pkl) are
what KilnFuzzPyTorch wraps in a torch.save-style zip with four 256-byte storages data/0..3, so
they may reference storages "0".."3" within 256 bytes; zip images (*.pth) are copies of the
small committed torch.save fixtures and hostile files. Standard library only (stand-ins pickle
under torch's names); rerun it to regenerate the committed files byte for byte."""
import collections, os, pickle, shutil, sys, types

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "pytorch")
FIXTURES = os.path.join(HERE, "..", "Tests", "KilnTests", "Fixtures", "PyTorch")

torch = types.ModuleType("torch"); utils = types.ModuleType("torch._utils")
sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
torch._utils = utils
def _rebuild_tensor_v2(*a): pass
def _rebuild_parameter(*a): pass
_rebuild_tensor_v2.__module__ = _rebuild_parameter.__module__ = "torch._utils"
utils._rebuild_tensor_v2, utils._rebuild_parameter = _rebuild_tensor_v2, _rebuild_parameter
STORAGE_TYPES = {}
for name in ["FloatStorage", "HalfStorage", "BFloat16Storage", "LongStorage", "IntStorage", "ShortStorage",
             "CharStorage", "ByteStorage", "BoolStorage", "DoubleStorage"]:
    cls = type(name, (), {"__module__": "torch"})
    setattr(torch, name, cls); STORAGE_TYPES[name] = cls
SIZE = {"FloatStorage": 4, "HalfStorage": 2, "BFloat16Storage": 2, "LongStorage": 8, "IntStorage": 4, "ShortStorage": 2,
        "CharStorage": 1, "ByteStorage": 1, "BoolStorage": 1, "DoubleStorage": 8}


class Storage:
    def __init__(self, key, kind):
        self.key, self.kind = key, kind


class T:
    def __init__(self, storage, offset, size, stride, param=False):
        self.args = (storage, offset, tuple(size), tuple(stride), False, collections.OrderedDict())
        self.param = param

    def __reduce__(self):
        if self.param:
            inner = T.__new__(T); inner.args, inner.param = self.args, False
            return (_rebuild_parameter, (inner, True, collections.OrderedDict()))
        return (_rebuild_tensor_v2, self.args)


def dump(obj, protocol=2):
    import io
    buf = io.BytesIO()
    p = pickle.Pickler(buf, protocol=protocol)
    p.persistent_id = lambda o: ("storage", STORAGE_TYPES[o.kind], o.key, "cpu", 256 // SIZE[o.kind]) if isinstance(o, Storage) else None
    p.dump(obj)
    return buf.getvalue()


def contiguous(shape):
    stride, acc = [], 1
    for d in reversed(shape):
        stride.insert(0, acc); acc *= d
    return stride


def seeds():
    f, h, b, l = Storage("0", "FloatStorage"), Storage("1", "HalfStorage"), Storage("2", "BFloat16Storage"), Storage("3", "LongStorage")
    sd = collections.OrderedDict()
    sd["conv.weight"] = T(f, 0, [2, 1, 3, 3], contiguous([2, 1, 3, 3]))
    sd["conv.bias"] = T(f, 18, [2], [1])
    sd["bn.num_batches_tracked"] = T(l, 0, [], [])
    sd._metadata = collections.OrderedDict([("", {"version": 1}), ("conv", {"version": 1})])
    yield "state_dict_metadata.pkl", dump(sd)
    yield "plain_dict.pkl", dump({"a": T(f, 0, [4, 4], [4, 1]), "b": T(f, 16, [8], [1])})
    yield "dtypes.pkl", dump({"h": T(h, 3, [5, 2], [2, 1]), "bf": T(b, 0, [3, 3], [3, 1]), "i": T(l, 2, [6], [1]),
                              "u8": T(Storage("0", "ByteStorage"), 0, [16], [1])})
    yield "views.pkl", dump(collections.OrderedDict(t=T(f, 1, [4, 3], [1, 4]), step=T(f, 0, [3, 2], [12, 5]),
                                                    expand=T(f, 7, [3, 4], [1, 0]), empty=T(f, 0, [0, 5], [5, 1]),
                                                    scalar=T(f, 9, [], [])))
    yield "shared_storage.pkl", dump({"a": T(f, 0, [8], [1]), "b": T(f, 4, [2, 4], [4, 1])})
    yield "parameter.pkl", dump({"p": T(f, 0, [2, 2], [2, 1], param=True)})
    yield "nested_checkpoint.pkl", dump({"epoch": 3, "lr": 0.125, "name": "x", "flags": [True, False, None],
                                         "state_dict": collections.OrderedDict(w=T(f, 0, [3], [1])),
                                         "optimizer": {"state": {0: {"step": 5}}, "param_groups": [{"params": [0]}]}})
    yield "model_key.pkl", dump({"model": {"w": T(h, 0, [2, 2], [2, 1])}, "big": 2 ** 40, "neg": -70000})
    yield "protocol4.pkl", dump(collections.OrderedDict(w=T(f, 0, [2, 3], [3, 1])), protocol=4)
    yield "too_short.pkl", dump({"w": T(f, 60, [5], [1])})
    yield "float64.pkl", dump({"d": T(Storage("0", "DoubleStorage"), 0, [4], [1])})


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    for name, data in seeds():
        open(os.path.join(OUT, name), "wb").write(data)
    n = 0
    for sub in ("valid", "hostile"):
        for f in sorted(os.listdir(os.path.join(FIXTURES, sub))):
            path = os.path.join(FIXTURES, sub, f)
            if f.endswith(".pth") and os.path.getsize(path) <= 8192:
                shutil.copy(path, os.path.join(OUT, f"{sub}_{f}")); n += 1
    print(f"{len(list(seeds()))} pickles, {n} zip images in {OUT}")


if __name__ == "__main__":
    main()
