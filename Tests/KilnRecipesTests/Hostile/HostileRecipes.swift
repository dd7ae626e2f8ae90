import Foundation

/// The recipes of ``HostileRun``, by file name (bytes: some are not UTF-8 on purpose).
enum HostileRecipes {
    static func all(sleepToken: String) -> [String: Data] {
        var recipes: [String: String] = [
            "good.md": """
                # Good

                ```swift
                print("fine")
                ```
                """,
            // Line 7 opens a fence that the file never closes.
            "unclosed.md": "# Unclosed\n\n```swift\nprint(1)\n```\n\n```swift\nprint(2)\n",
            // The quote ends at the blank line, closing the fence opened on line 3.
            "unclosed_quote.md": "# Quoted\n\n> ```swift\n> print(1)\n\nAfter the quote.\n",
            // Block 2 opens a `{` it never closes, which swallows block 3 and the runtime after it.
            "syntax.md": """
                # Syntax

                ```swift
                print("ok")
                ```

                ```swift
                func f() {
                    print("x")
                ```

                ```swift
                print("after")
                ```
                """,
            "index_trap.md": """
                # Index

                ```swift
                print("before")
                ```

                ```swift
                let a = [1, 2, 3]
                let i = a.count + 2
                print(a[i])
                ```
                """,
            "exit3.md": """
                # Exit

                ```swift
                print("one")
                ```

                ```swift
                print("two")
                exit(3)
                ```

                ```swift
                print("never")
                ```
                """,
            // Grandchildren in the recipe's group (posix_spawn) and in a group of their own
            // (Foundation's Process), then a hang.
            "hang.md": """
                # Hang

                ```swift timeout=2
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/bin/sleep")
                p.arguments = ["\(sleepToken)1"]
                try p.run()
                var pid: pid_t = 0
                let argv: [UnsafeMutablePointer<CChar>?] = [strdup("sleep"), strdup("\(sleepToken)2"), nil]
                precondition(posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ) == 0)
                print("started")
                while true { sleep(1) }
                ```
                """,
            // Background processes that outlive their block: one in the recipe's group (a
            // shell's `&`), one in a group of its own holding the output pipe (Process), one
            // in a new session with a cleared environment (setsid + env -i).
            "background.md": """
                # Background

                ```swift
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/bin/sleep")
                p.arguments = ["\(sleepToken)3"]
                try p.run()
                var pid: pid_t = 0
                for command in ["sleep \(sleepToken)4 &", "setsid env -i /bin/sleep \(sleepToken)5 &"] {
                    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("sh"), strdup("-c"), strdup(command), nil]
                    precondition(posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0)
                }
                print("started")
                ```

                ```swift
                print("second block")
                ```
                """,
            // Invalid UTF-8, a NUL and a fence in the output.
            "bytes.md": """
                # Bytes

                ```swift
                FileHandle.standardOutput.write(Data([0x61, 0xFF, 0xC3, 0x62, 0x00, 0x63, 0x0A]))
                print("```")
                ```
                """,
        ]
        recipes["good.md"]! += "\n"
        var data = recipes.mapValues { Data($0.utf8) }
        // Byte 0xFF at line 4, column 9.
        data["not_utf8.md"] = Data("# Bytes\n\n```swift\nprint(\"a".utf8) + Data([0xFF]) + Data("b\")\n```\n".utf8)
        // A NUL at line 3, column 5.
        data["nul.md"] = Data("# Nul\n\nText".utf8) + Data([0]) + Data("more\n".utf8)
        return data
    }
}
