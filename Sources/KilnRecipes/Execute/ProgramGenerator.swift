import Kiln

/// Generates the one Swift program that runs a recipe's blocks.
///
/// **Shape.** `import Foundation` and `import Kiln`, a small runtime, then every runnable block
/// in document order, so declarations in one block are visible in the next (like notebook
/// cells). Two layouts (``Layout``): the *function layout* (``functionLayout(for:)``) puts each
/// block's shared declarations at file scope and its statements in a function of its own, so
/// compile time grows linearly with the blocks; when a block holds code that layout cannot
/// express (see ``BlockSplitter``), the *top-level layout* puts every block at top level of a
/// main file, whose type-checking time is quadratic in its statements. Each block's code is
/// wrapped in `#sourceLocation(file: "recipes/x.md", line: N)` so that compiler errors and trap
/// messages point into the recipe.
///
/// **Markers.** Before and after each block the program writes a marker line (``BlockMarker``,
/// `"\u{1E}KILN-<secret> begin|end <block> <monotonic ns>"`; one call between two blocks writes
/// both), after flushing stdout (which it makes unbuffered, so stdout and stderr stay in order in the shared pipe).
/// The parent splits the output at markers, times each block from the child's clock and knows
/// which block was running when the program died.
///
/// **A channel recipe code cannot reach.** A block could otherwise end blocks it never ran by
/// writing markers. So the marker's secret is in no file, argument or environment variable:
/// the runtime reads it from a private inherited descriptor (``secretDescriptor``, then closed)
/// before the first block; the runtime's names carry the per-run ``nonce``, so no block can
/// call them (it cannot know the name when it is compiled); and markers go to a private
/// duplicate of stdout, so a block closing or redirecting fds 1 and 2 does not silence them.
///
/// **Shown items.** The runtime installs Kiln's ``Display`` handler: each item a block shows
/// is written as JSON to `<n>.json` in a display folder the runner names after the secret (same
/// descriptor, after a newline), then a `display <n>` marker says so. The item travels beside
/// the output, never in it: a file cannot be split by other threads' writes as a long pipe
/// write can, and only the runtime can write the marker that makes the runner read it.
///
/// **Errors.** A block cannot be wrapped in `do { } catch { }` without scoping its
/// declarations away from later blocks. So:
/// - an error an ordinary block throws escapes `main`, and the Swift
///   runtime reports `Fatal error: Error raised at top level: <description>` on stderr and
///   traps. The parent maps that text, found after the running block's `begin` marker, to a
///   *thrown error* of that block (any other `Fatal error:` is a *trap*).
/// - `expect-error` blocks are wrapped in `do { } catch { }`: the caught error's description
///   (with a Kiln error's suggested fix) is printed as the block's output and the block ends
///   normally; if the block completes, an `unexpected` marker is written and the program exits,
///   so nothing after it runs. The price: declarations inside an `expect-error` block are local
///   to it, which suits a block whose point is to fail.
public struct ProgramGenerator: Sendable {
    /// The module name of recipe programs; trap messages say `KilnRecipe/x.md:LINE`, which the
    /// runner rewrites to the recipe path.
    public static let moduleName = "KilnRecipe"

    /// The random token in the runtime's names.
    public var nonce: String
    /// The descriptor the program reads its marker secret from (see ``RecipeExecutor``).
    public var secretDescriptor: Int32

    /// Creates a generator with a random nonce and secret descriptor.
    public init() {
        self.init(nonce: RandomHex.string(), secretDescriptor: Int32.random(in: 20...199))
    }

    /// Creates a generator with a fixed nonce, for reproducible text (snapshots).
    public init(nonce: String, secretDescriptor: Int32 = 20) {
        self.nonce = nonce
        self.secretDescriptor = secretDescriptor
    }

    /// The runtime's name `base`, made private to this run.
    func runtimeName(_ base: String) -> String { "__kiln_\(nonce)_\(base)" }

    /// The one statement between two runnable blocks: it ends block `ended` and begins block
    /// `begun` (-1: none). One statement with integer arguments per block, not two with string
    /// arguments, because type-checking top-level code costs each statement time in proportion
    /// to the statements before it (see the commit's measurements).
    public func boundaryCall(ended: Int, begun: Int) -> String {
        "\(runtimeName("next"))(\(ended), \(begun))"
    }

    /// The boundary statement before `block` in `recipe`'s program.
    public func boundaryCall(before block: Block, in recipe: Recipe) -> String {
        let previous = recipe.runnableBlocks.last { $0.index < block.index }
        return boundaryCall(ended: previous?.index ?? -1, begun: block.index)
    }

    /// The program for `recipe`'s runnable blocks (its source; see ``generate(for:)``).
    public func program(for recipe: Recipe) -> String { generate(for: recipe).source }

    /// The program for `recipe`'s runnable blocks: the function layout when every block splits
    /// (``BlockSplitter``), else the top-level layout.
    public func generate(for recipe: Recipe) -> GeneratedProgram {
        if let split = functionLayout(for: recipe) {
            return GeneratedProgram(source: split, layout: .functions)
        }
        return GeneratedProgram(source: topLevelLayout(for: recipe), layout: .topLevel)
    }

    /// The first lines of every program: the header and imports.
    func header(for recipe: Recipe) -> String {
        """
        // Generated by kiln from \(recipe.path): its Swift blocks in document order. Do not edit.
        import Foundation
        import Kiln
        #if canImport(Glibc)
        import Glibc
        #endif

        """
    }

    /// The runtime: declarations only, valid at the top of a main file and at file scope.
    var runtime: String {
        """

        // kiln runtime (see ProgramGenerator): markers split the output per block and time
        // each block; their secret is read once from a private descriptor.
        private let \(runtimeName("channel")): (fd: Int32, prefix: [UInt8], displays: String) = {
            var secret: [UInt8] = []
            var byte: UInt8 = 0
            while read(\(secretDescriptor), &byte, 1) == 1 { secret.append(byte) }
            close(\(secretDescriptor))
            let end = secret.firstIndex(of: 10) ?? secret.count
            let displays = String(decoding: secret[min(end + 1, secret.count)...], as: UTF8.self)
            return (fcntl(1, F_DUPFD_CLOEXEC, 3), Array("\(BlockMarker.leadLiteral)".utf8) + Array(secret[..<end]) + [0x20], displays)
        }()
        private func \(runtimeName("next"))(_ ended: Int, _ begun: Int) {
            if ended >= 0 { \(runtimeName("mark"))("\(BlockMarker.Kind.end.rawValue)", ended) }
            if begun >= 0 { \(runtimeName("mark"))("\(BlockMarker.Kind.begin.rawValue)", begun) }
        }
        private func \(runtimeName("mark"))(_ kind: String, _ block: Int) {
            fflush(stdout)
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let ns = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
            let line = \(runtimeName("channel")).prefix + Array("\\(kind) \\(block) \\(ns)\\n".utf8)
            line.withUnsafeBytes { _ = write(\(runtimeName("channel")).fd, $0.baseAddress, $0.count) }
        }
        private func \(runtimeName("caught"))(_ error: any Error) {
            if let kilnError = error as? any KilnError { print(kilnError.fullDescription) } else { print(error) }
        }
        // Shown items (Kiln's show(image:), show(table:), show(chart:)) go to a file in the
        // runner's display folder, named by a `display` marker on the private channel.
        private func \(runtimeName("installDisplay"))() {
            Display.install { bundle, number in
                let path = \(runtimeName("channel")).displays + "/\\(number).json"
                guard !\(runtimeName("channel")).displays.isEmpty,
                      FileManager.default.createFile(atPath: path, contents: bundle.json()) else { return }
                \(runtimeName("mark"))("\(BlockMarker.Kind.display.rawValue)", number)
            }
        }
        private func \(runtimeName("unexpectedSuccess"))(_ block: Int) -> Never {
            \(runtimeName("mark"))("\(BlockMarker.Kind.unexpected.rawValue)", block)
            exit(0)
        }

        """
    }

    /// Makes stdout unbuffered, so stdout and stderr stay in order in the shared pipe: the
    /// program's first statement.
    static let unbufferedStdout = "setvbuf(stdout, nil, _IONBF, 0)\n"

    /// Installs the display handler (``runtime``): a statement run before the first block.
    var installDisplayCall: String { "\(runtimeName("installDisplay"))()\n" }

    /// The comment that opens `block`'s code in the program.
    func blockHeader(_ block: Block, in recipe: Recipe) -> String {
        "\n// Block \(block.index + 1) of \(recipe.blocks.count), \(recipe.path):\(block.fenceLines.lowerBound)-\(block.fenceLines.upperBound)\n"
    }

    /// Every block at top level (see the type's documentation).
    func topLevelLayout(for recipe: Recipe) -> String {
        let runnable = recipe.runnableBlocks
        var out = header(for: recipe) + "\n" + Self.unbufferedStdout + runtime + installDisplayCall
        var previous = -1
        for block in runnable {
            let location = sourceLocation(for: block, in: recipe)
            out += blockHeader(block, in: recipe)
            out += boundaryCall(ended: previous, begun: block.index) + "\n"
            previous = block.index
            if block.options.expectError {
                out += expectErrorBody(block, location: location)
            } else if !block.code.isEmpty {
                out += "\(location)\n\(block.code)#sourceLocation()\n"
            }
        }
        if let last = runnable.last { out += "\n" + boundaryCall(ended: last.index, begun: -1) + "\n" }
        return out
    }

    /// An `expect-error` block: caught, printed, and the program ends if it did not throw.
    func expectErrorBody(_ block: Block, location: String) -> String {
        "do {\n\(location)\n\(block.code)#sourceLocation()\n"
            + "    \(runtimeName("unexpectedSuccess"))(\(block.index))\n} catch {\n    \(runtimeName("caught"))(error)\n}\n"
    }

    /// The `#sourceLocation` directive that makes the line after it `block`'s first code line in
    /// `recipe`, so compiler errors and traps name the recipe's lines.
    func sourceLocation(for block: Block, in recipe: Recipe) -> String {
        sourceLocation(line: block.codeLines.lowerBound, in: recipe)
    }

    /// The `#sourceLocation` directive that makes the line after it `line` of `recipe`.
    func sourceLocation(line: Int, in recipe: Recipe) -> String {
        "#sourceLocation(file: \(stringLiteral(recipe.path)), line: \(line))"
    }

    /// A Swift string literal for `text` (paths may hold quotes or backslashes).
    func stringLiteral(_ text: String) -> String { swiftStringLiteral(text) }
}
