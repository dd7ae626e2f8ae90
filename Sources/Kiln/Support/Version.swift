/// Kiln's version, shown by `kiln --version` and recorded in compiled artifacts.
public enum KilnVersion {
    public static let string = "0.1.0"
}
