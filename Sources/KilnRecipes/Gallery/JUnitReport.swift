/// JUnit XML for `kiln verify --junit FILE`: one test case per recipe with its time; a failing
/// recipe's case has a `<failure>` whose message is `recipes/x.md:LINE: reason` and whose text
/// holds the details; a stale document (`--check`) is a failure of type `stale`.
public enum JUnitReport {
    /// The XML document for `summary`.
    public static func xml(for summary: RunSummary) -> String {
        let failures = summary.recipes.filter { $0.status != .passed || $0.stale }.count
        let total = formatSeconds(summary.recipes.map(\.seconds).reduce(0, +))
        var out = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<testsuites name="kiln verify" tests="\#(summary.recipes.count)" failures="\#(failures)" errors="0" time="\#(total)">"#,
            #"  <testsuite name="recipes" tests="\#(summary.recipes.count)" failures="\#(failures)" errors="0" skipped="0" time="\#(total)">"#,
        ]
        for r in summary.recipes {
            let open = #"    <testcase classname="recipes" name="\#(escape(r.path))" file="\#(escape(r.path))" time="\#(formatSeconds(r.seconds))""#
            var failure: (type: String, message: String, text: String)?
            if r.status != .passed {
                var details = r.failure ?? ""
                if let f = r.execution?.failure, case .failed(let reason) = f.status {
                    details = reason.details
                    if !f.output.isEmpty { details = "Output:\n" + f.output + "\n" + details }
                }
                failure = (r.status == .invalid ? "invalid recipe" : "block failed", r.failure ?? r.path, details)
            } else if r.stale {
                failure = ("stale", "\(r.path): output/\(r.name).md is out of date", "Run `kiln run` and commit output/.")
            }
            if let failure {
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

    /// `text` escaped for XML attributes and content; characters XML 1.0 forbids are dropped.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n", "\t", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20 && scalar.value != 0xFFFE && scalar.value != 0xFFFF { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
