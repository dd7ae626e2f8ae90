extension PyTorchError {
    /// The file the error concerns.
    public var path: String {
        switch self {
        case .fileNotFound(let p), .unreadable(let p, _), .legacyFormat(let p, _), .torchScriptArchive(let p, _),
             .exportedProgram(let p, _), .notACheckpoint(let p, _), .malformedZip(let p, _),
             .unsafeMemberName(let p, _, _), .duplicateMember(let p, _), .missingMember(let p, _),
             .memberTooLarge(let p, _, _, _), .badByteOrder(let p, _), .forbiddenGlobal(let p, _, _, _),
             .forbiddenOpcode(let p, _, _), .malformedPickle(let p, _, _), .unsupportedCall(let p, _, _, _),
             .limitExceeded(let p, _, _), .noStateDict(let p, _), .notATensor(let p, _, _), .duplicateKey(let p, _),
             .missingStorage(let p, _, _), .storageTooShort(let p, _, _, _, _), .invalidTensorGeometry(let p, _, _),
             .storageTypeConflict(let p, _, _, _), .unknownTensor(let p, _, _, _), .integerTensorAsFloat(let p, _, _),
             .floatTensorAsInteger(let p, _, _), .unsupportedDType(let p, _, _, _):
            return p
        }
    }

    /// One line whatever the file holds: names, keys and strings from a hostile pickle may
    /// carry newlines or terminal escapes, shown here as `\u{…}`.
    public var description: String {
        String(rawDescription.unicodeScalars.flatMap { c -> [Unicode.Scalar] in
            c.value < 0x20 || (0x7F...0x9F).contains(c.value) ? Array("\\u{\(String(c.value, radix: 16))}".unicodeScalars) : [c]
        }.map(Character.init))
    }

    private var rawDescription: String {
        switch self {
        case let .fileNotFound(p): return "PyTorch checkpoint not found: \(p)"
        case let .unreadable(p, r): return "cannot read PyTorch checkpoint \(p): \(r)"
        case let .legacyFormat(p, kind):
            return "\(p) is a legacy PyTorch checkpoint (\(kind), written before PyTorch 1.6); Kiln reads only the zip format"
        case let .torchScriptArchive(p, m):
            return "\(p) is a TorchScript archive (it has \(m)), not a state dict; Kiln never runs TorchScript code"
        case let .exportedProgram(p, m):
            return "\(p) is a torch.export program (it has \(m)), not a state dict"
        case let .notACheckpoint(p, found):
            return "\(p) is not a PyTorch checkpoint: it starts with \(found), expected a zip archive (PK\\x03\\x04)"
        case let .malformedZip(p, r): return "\(p): malformed zip archive: \(r)"
        case let .unsafeMemberName(p, m, r): return "\(p): zip member \"\(m)\" has an unsafe name: \(r)"
        case let .duplicateMember(p, m): return "\(p): zip member \"\(m)\" appears more than once"
        case let .missingMember(p, m): return "\(p): zip member \"\(m)\" is missing (torch.save always writes it)"
        case let .memberTooLarge(p, m, bytes, limit):
            return "\(p): \(m) is \(bytes) bytes, over Kiln's limit of \(limit) bytes"
        case let .badByteOrder(p, v): return "\(p): byteorder is \"\(v)\", expected \"little\" or \"big\""
        case let .forbiddenGlobal(p, module, name, offset):
            return "\(p): data.pkl refers to the global \(module).\(name) (pickle offset \(offset)), which is not on Kiln's allowlist; refused, nothing was run"
        case let .forbiddenOpcode(p, op, offset):
            return "\(p): data.pkl uses pickle opcode 0x\(String(op, radix: 16)) (\(PickleOpcode.name(op))) at offset \(offset), which a state dict never needs; refused"
        case let .malformedPickle(p, offset, r): return "\(p): data.pkl is malformed at offset \(offset): \(r)"
        case let .unsupportedCall(p, c, offset, r):
            return "\(p): data.pkl calls \(c) at offset \(offset) in a way torch.save never writes: \(r)"
        case let .limitExceeded(p, what, limit): return "\(p): data.pkl exceeds Kiln's limit on \(what) (\(limit))"
        case let .noStateDict(p, found): return "\(p): no state dict found: \(found)"
        case let .notATensor(p, k, found): return "\(p): state-dict entry \"\(k)\" is \(found), not a tensor"
        case let .duplicateKey(p, k): return "\(p): two entries become \"\(k)\" once the key prefix is stripped"
        case let .missingStorage(p, t, m): return "\(p): tensor \"\(t)\": its storage \(m) is not in the archive"
        case let .storageTooShort(p, t, m, needs, has):
            return "\(p): tensor \"\(t)\" needs \(needs) bytes of storage \(m), which holds only \(has)"
        case let .invalidTensorGeometry(p, t, r): return "\(p): tensor \"\(t)\": \(r)"
        case let .storageTypeConflict(p, s, a, b):
            return "\(p): storage \(s) is viewed both as \(a) and as \(b)"
        case let .unknownTensor(p, name, available, total):
            if total == 0 { return "\(p) has no tensor named \"\(name)\" (the state dict is empty)" }
            let some = available.map { "\"\($0)\"" }.joined(separator: ", ")
            return "\(p) has no tensor named \"\(name)\" (\(total) tensor\(total == 1 ? "" : "s"), e.g. \(some)\(total > available.count ? ", …" : ""))"
        case let .integerTensorAsFloat(p, t, d): return "\(p): tensor \"\(t)\" is an integer tensor (\(d)), not floating point"
        case let .floatTensorAsInteger(p, t, d): return "\(p): tensor \"\(t)\" is a floating-point tensor (\(d)), not integer"
        case let .unsupportedDType(p, t, d, wanted): return "\(p): tensor \"\(t)\" has dtype \(d), which Kiln does not convert to \(wanted)"
        }
    }

    public var suggestion: String? {
        let resave = "Suggested fix: load it in Python with torch.load(path, weights_only=True) and re-save its state dict with torch.save(model.state_dict(), \"model.pth\") (or convert it to safetensors)."
        switch self {
        case .fileNotFound: return "Suggested fix: check the path (relative paths resolve against the current directory)."
        case .unreadable: return "Suggested fix: check that the path is a regular file you have permission to read."
        case .legacyFormat:
            return "Suggested fix: re-save it with PyTorch ≥ 1.6: torch.save(torch.load(path, weights_only=True), \"model.pth\")."
        case .torchScriptArchive:
            return "Suggested fix: save the weights instead: torch.save(scripted.state_dict(), \"model.pth\"), or export the model with torch.export."
        case .exportedProgram:
            return "Suggested fix: import the program itself (importPT2, or kiln compile/infer --pt2 with the .pt2), or pass its weights as a state dict: torch.save(torch.export.load(path).state_dict(), \"model.pth\")."
        case .notACheckpoint, .malformedZip, .missingMember, .missingStorage, .storageTooShort:
            return "Suggested fix: the file is truncated or corrupt; download or save it again with torch.save."
        case .unsafeMemberName, .duplicateMember, .badByteOrder, .malformedPickle, .invalidTensorGeometry,
             .storageTypeConflict:
            return "Suggested fix: the file was not written by torch.save (or was tampered with); do not trust it. " + resave.dropFirst(15)
        case .memberTooLarge, .limitExceeded:
            return "Suggested fix: Kiln bounds what it reads from untrusted checkpoints; pass larger PyTorchLimits to PyTorchCheckpoint(contentsOf:options:limits:) if you trust this file."
        case .forbiddenGlobal, .forbiddenOpcode, .unsupportedCall:
            return "Suggested fix: Kiln loads only plain state dicts (tensors in dicts, lists and tuples); if you trust the file, " + resave.dropFirst(15)
        case .noStateDict:
            return "Suggested fix: pass the key that holds the state dict (PyTorchCheckpoint.Options(stateDictKey:)), or " + resave.dropFirst(15)
        case .notATensor:
            return "Suggested fix: save only tensors: torch.save({k: v for k, v in sd.items() if torch.is_tensor(v)}, \"model.pth\")."
        case .duplicateKey: return "Suggested fix: strip a different key prefix (or none)."
        case let .unknownTensor(_, _, available, _):
            return available.isEmpty ? nil : "Suggested fix: use one of the names in the file, e.g. \"\(available[0])\" (or strip a key prefix such as \"module.\")."
        case .integerTensorAsFloat: return "Suggested fix: read it with int64Values(named:) instead of tensor(named:)."
        case .floatTensorAsInteger: return "Suggested fix: read it with tensor(named:) instead of int64Values(named:)."
        case .unsupportedDType: return "Suggested fix: convert the tensor in PyTorch (tensor.float()) before saving."
        }
    }
}
