/// Constants of kiln_model.h seen from Swift.
public enum KilnModelABI {
    /// `KILN_ABI_VERSION`: libraries of another version are refused by ``aotLoad(_:device:)``.
    public static let version: Int32 = 1
}
