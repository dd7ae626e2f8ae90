/// JUnit XML for `kiln verify --junit FILE`: one test case per recipe with its time; a failing
/// recipe's case has a `<failure>` whose message is `recipes/x.md:LINE: reason` and whose text
/// holds the details; a stale document (`--check`) is a failure of type `stale`.
///
/// It takes plain test cases rather than the runner's summary: the runner drives the gallery,
/// so the gallery must not depend on the runner.
public enum JUnitReport {
    /// One recipe as a test case.
    public struct TestCase: Sendable, Equatable {
        /// The recipe path (`recipes/x.md`).
        public var path: String
        /// Its running time.
        public var seconds: Double
        /// Its failure; nil when it passed.
        public var failure: Failure?

        /// Creates a test case.
        public init(path: String, seconds: Double, failure: Failure? = nil) {
            self.path = path
            self.seconds = seconds
            self.failure = failure
        }
    }

    /// A test case's failure.
    public struct Failure: Sendable, Equatable {
        /// `block failed`, `invalid recipe` or `stale`.
        public var type: String
        /// One line: `recipes/x.md:LINE: reason`.
        public var message: String
        /// The details (the failing block's output and error).
        public var text: String

        /// Creates a failure.
        public init(type: String, message: String, text: String) {
            self.type = type
            self.message = message
            self.text = text
        }
    }

    /// The XML document for `cases`.
    public static func xml(for cases: [TestCase]) -> String {
        let escape = Markup.escape
        let failures = cases.filter { $0.failure != nil }.count
        let total = formatSeconds(cases.map(\.seconds).reduce(0, +))
        var out = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<testsuites name="kiln verify" tests="\#(cases.count)" failures="\#(failures)" errors="0" time="\#(total)">"#,
            #"  <testsuite name="recipes" tests="\#(cases.count)" failures="\#(failures)" errors="0" skipped="0" time="\#(total)">"#,
        ]
        for c in cases {
            let open = #"    <testcase classname="recipes" name="\#(escape(c.path))" file="\#(escape(c.path))" time="\#(formatSeconds(c.seconds))""#
            if let failure = c.failure {
                out.append(open + ">")
                out.append(#"      <failure type="\#(escape(failure.type))" message="\#(escape(failure.message))">\#(escape(failure.text))</failure>"#)
                out.append("    </testcase>")
            } else {
                out.append(open + "/>")
            }
        }
        out += ["  </testsuite>", "</testsuites>"]
        return out.joined(separator: "\n") + "\n"
    }
}
