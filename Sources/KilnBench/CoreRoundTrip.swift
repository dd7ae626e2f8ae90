import Kiln
internal import CKilnKernels

/// Where this process's first two CPUs sit relative to each other: the round trip of one
/// cache line between them (`kiln_core_latency.c`), fastest of many short batches.
///
/// On a VM the hypervisor places the vCPUs, sometimes far apart on the host. Measured on
/// 2-vCPU AMD EPYC VMs: 51–62 ns most of the time, 290–330 ns in periods that switch while
/// the machine idles; in a far period two-thread ResNet-18 batch 1 takes ~1.4× its time, its
/// Winograd layers up to 2.4×. `kiln bench` probes before and after each timing so that a
/// number can be read with its placement.
public struct CoreRoundTrip: Sendable, CustomStringConvertible {
    public let nanoseconds: Double

    /// nil when the process may use fewer than two CPUs.
    public static func measure(batches: Int = 100) -> CoreRoundTrip? {
        let ns = kiln_core_round_trip_ns(-1, -1, Int32(batches))
        return ns > 0 ? CoreRoundTrip(nanoseconds: ns) : nil
    }

    /// `core-to-core round trip: 55 ns (first two CPUs of this process)`.
    public var description: String { String(format: "core-to-core round trip: %.0f ns (first two CPUs of this process)", nanoseconds) }
}
