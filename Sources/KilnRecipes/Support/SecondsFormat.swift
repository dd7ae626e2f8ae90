/// `1.234`: seconds with three decimals, no trailing noise. Every time Kiln writes (documents,
/// gallery, summaries, JUnit) uses it, so the same time reads the same everywhere.
func formatSeconds(_ s: Double) -> String {
    let millis = Int((s * 1000).rounded())
    let whole = millis / 1000, frac = millis % 1000
    return "\(whole)." + String(repeating: "0", count: 3 - String(frac).count) + String(frac)
}
