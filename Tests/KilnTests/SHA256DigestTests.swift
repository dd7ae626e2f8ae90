import CKilnKernels
import Testing
import Kiln

@Suite struct SHA256DigestTests {
    /// FIPS 180-4 known answers.
    @Test func knownAnswers() {
        #expect(SHA256Digest.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Digest.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Digest.hex(String(repeating: "a", count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }

    /// kiln_sha256 (SHA extensions where the CPU has them) against its portable twin, over
    /// every length up to three blocks past a padding boundary and at unaligned starts.
    @Test func fastPathMatchesReference() {
        let bytes = (0..<4_096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 5) }
        bytes.withUnsafeBytes { all in
            for offset in [0, 1, 7] {
                for length in Array(0...200) + [255, 256, 257, 1_000, 4_000] where offset + length <= all.count {
                    var fast = [UInt8](repeating: 0, count: 32), ref = [UInt8](repeating: 1, count: 32)
                    kiln_sha256(all.baseAddress! + offset, length, &fast)
                    kiln_sha256_ref(all.baseAddress! + offset, length, &ref)
                    #expect(fast == ref, "offset \(offset), length \(length), SHA extensions: \(kiln_sha256_uses_sha_ni())")
                }
            }
        }
    }
}
