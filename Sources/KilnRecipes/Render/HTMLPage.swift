/// Wraps Markdown rendered by cmark-gfm (with GFM extensions) in a small standalone HTML page.
public enum HTMLPage {
    /// A complete page titled `title` whose body is `markdown` rendered to HTML.
    public static func render(markdown: String, title: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(Markup.escape(title))</title>
        <style>
        body { max-width: 50em; margin: 2em auto; padding: 0 1em; font-family: system-ui, sans-serif; line-height: 1.5; }
        pre { background: #f6f8fa; padding: 0.8em; overflow-x: auto; }
        code { font-family: ui-monospace, monospace; font-size: 0.9em; }
        table { border-collapse: collapse; }
        th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; }
        </style>
        </head>
        <body>
        \(CommonMark.renderHTML(markdown))</body>
        </html>

        """
    }

}
