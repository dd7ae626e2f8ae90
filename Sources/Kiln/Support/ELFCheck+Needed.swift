import Foundation

extension ELFCheck {
    /// The shared libraries a 64-bit little-endian ELF file names as its direct dependencies
    /// (its `DT_NEEDED` entries, in order), read from the file without loading it: what a
    /// deployment must provide beside the library. `nil` when the file is not such an ELF
    /// file or its dynamic section cannot be followed; `[]` when it needs nothing.
    ///
    /// The file is untrusted: only its program headers, dynamic segment and string table are
    /// read, each bounds-checked against the file and capped in size.
    static func neededLibraries(_ path: String) -> [String]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return nil }
        func read(_ offset: UInt64, _ count: UInt64) -> [UInt8]? {
            guard count <= 1 << 20, offset <= size, count <= size - offset else { return nil }
            guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.read(upToCount: Int(count)),
                  data.count == Int(count) else { return nil }
            return [UInt8](data)
        }
        func u(_ bytes: [UInt8], _ at: Int, _ n: Int) -> UInt64 { littleEndian(bytes, at: at, count: n) }
        guard let header = read(0, 64), isELF64LE(header) else { return nil }
        let phoff = u(header, 0x20, 8), phentsize = u(header, 0x36, 2), phnum = u(header, 0x38, 2)
        guard phentsize >= 56, let table = read(phoff, phentsize * phnum) else { return nil }
        // (vaddr, file offset, size in the file) of each PT_LOAD, and the PT_DYNAMIC segment.
        var loads: [(vaddr: UInt64, offset: UInt64, size: UInt64)] = []
        var dynamic: (offset: UInt64, size: UInt64)?
        for i in 0..<Int(phnum) {
            let at = i * Int(phentsize)
            let type = u(table, at, 4), offset = u(table, at + 8, 8), vaddr = u(table, at + 16, 8), filesz = u(table, at + 32, 8)
            if type == 1 { loads.append((vaddr, offset, filesz)) }
            if type == 2 { dynamic = (offset, filesz) }
        }
        guard let dyn = dynamic else { return [] } // statically linked: needs nothing
        guard let entries = read(dyn.offset, dyn.size) else { return nil }
        var needed: [UInt64] = [], strtab: UInt64?, strsz: UInt64?
        for at in stride(from: 0, to: entries.count - 15, by: 16) {
            let tag = u(entries, at, 8), value = u(entries, at + 8, 8)
            if tag == 0 { break } // DT_NULL
            if tag == 1 { needed.append(value) } // DT_NEEDED: an offset into the string table
            if tag == 5 { strtab = value } // DT_STRTAB: a virtual address
            if tag == 10 { strsz = value } // DT_STRSZ
        }
        if needed.isEmpty { return [] }
        guard let address = strtab, let length = strsz,
              let load = loads.first(where: { address >= $0.vaddr && address - $0.vaddr < $0.size }),
              let strings = read(load.offset + (address - load.vaddr), min(length, load.size - (address - load.vaddr)))
        else { return nil }
        var names: [String] = []
        for start in needed {
            guard start < UInt64(strings.count), let end = strings[Int(start)...].firstIndex(of: 0) else { return nil }
            names.append(String(decoding: strings[Int(start)..<end], as: UTF8.self))
        }
        return names
    }
}
