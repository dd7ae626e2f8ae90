import Testing
@testable import Kiln

@Suite struct TensorTests {
    @Test func randnIsDeterministicAndNormal() {
        let a = Tensor.randn([1000], seed: 42), b = Tensor.randn([1000], seed: 42)
        #expect(a.scalars == b.scalars)
        #expect(Tensor.randn([4], seed: 43).scalars != Tensor.randn([4], seed: 42).scalars)
        let mean = a.scalars.reduce(0, +) / 1000
        let variance = a.scalars.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 1000
        #expect(abs(mean) < 0.1)
        #expect(abs(variance - 1) < 0.15)
    }

    @Test func randIsPinnedAcrossMachines() {
        // SplitMix64(seed: 0).next() is 0xE220A8397B1DCDAF (reference value of the algorithm).
        var g = SplitMix64(seed: 0)
        #expect(g.next() == 0xE220_A839_7B1D_CDAF)
        let r = Tensor.rand([3], seed: 7).scalars
        #expect(r.allSatisfy { $0 >= 0 && $0 < 1 })
    }

    @Test func compareReportsWorstElement() {
        let ref = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        let got = Tensor(shape: [2, 2], values: [1, 2, 3.5, 4])
        let c = got.compare(to: ref, rtol: 1e-3, atol: 1e-3)
        #expect(!c.isClose)
        #expect(c.worstIndex == [1, 0])
        #expect(c.maxAbsDifference == 0.5)
        #expect(got.compare(to: ref, rtol: 0.2, atol: 0).isClose)
        #expect(!got.compare(to: Tensor.zeros([4])).isClose)
    }

    @Test func descriptionShowsShapeAndValues() {
        #expect(Tensor(shape: [2], values: [1, 0.5]).description == "Tensor[2] [1.0, 0.5]")
        #expect(Tensor.zeros([2, 5]).description == "Tensor[2, 5] [0.0, 0.0, 0.0, …, 0.0, 0.0, 0.0]")
    }

    @Test func reshapeSliceConcatenate() {
        let t = Tensor(shape: [3, 2], values: [0, 1, 2, 3, 4, 5])
        #expect(t.reshaped([-1]).shape == [6])
        #expect(t.slice(batch: 1..<3).scalars == [2, 3, 4, 5])
        #expect(Tensor.concatenate(batch: [t.slice(batch: 0..<1), t.slice(batch: 1..<3)]).scalars == t.scalars)
        var u = t
        u.withUnsafeMutableBufferPointer { $0[0] = 9 }
        #expect(t[0, 0] == 0 && u[0, 0] == 9)
    }
}
