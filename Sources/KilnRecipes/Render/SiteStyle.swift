/// The site's stylesheet, inlined into every page's `<head>` by ``HTMLPage``.
///
/// Inline rather than a shared `_static/kiln.css`: each page is then one self-contained file
/// (a CI artifact, a page mailed or opened from a checkout looks the same), `verify --check`
/// covers the style with the page it already compares, and there is no extra gallery file
/// that could go stale or collide with a recipe's assets. The cost is ~3 KB per page.
enum SiteStyle {
    static let css = """
        :root { --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --border: #d1d9e0; --link: #0969da;
          --code-bg: #f6f8fa; --out-bg: #fffdf4; --out-bar: #bf8700; --err-bg: #fff5f5; --err-bar: #cf222e;
          --kw: #cf222e; --str: #0a3069; --num: #0550ae; --com: #6e7781; --type: #8250df; --fn: #6639ba;
          --attr: #953800; --dir: #953800; }
        @media (prefers-color-scheme: dark) {
          :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --border: #3d444d; --link: #4493f8;
            --code-bg: #151b23; --out-bg: #1c1a12; --out-bar: #d29922; --err-bg: #25171a; --err-bar: #f85149;
            --kw: #ff7b72; --str: #a5d6ff; --num: #79c0ff; --com: #9198a1; --type: #d2a8ff; --fn: #d2a8ff;
            --attr: #ffa657; --dir: #ffa657; }
        }
        * { box-sizing: border-box; }
        body { margin: 0; color: var(--fg); background: var(--bg); line-height: 1.55;
          font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
        a { color: var(--link); text-decoration: none; }
        a:hover { text-decoration: underline; }
        header.site { border-bottom: 1px solid var(--border); padding: 0.7rem max(1.2rem, calc((100% - 52rem) / 2 + 1.2rem)); font-weight: 600; }
        header.site a { color: var(--fg); }
        main { max-width: 52rem; margin: 0 auto; padding: 0.5rem 1.2rem 2rem; }
        h1, h2, h3 { line-height: 1.25; margin: 1.4em 0 0.5em; }
        h1 { font-size: 1.9em; border-bottom: 1px solid var(--border); padding-bottom: 0.3em; }
        h2 { font-size: 1.4em; border-bottom: 1px solid var(--border); padding-bottom: 0.2em; }
        a.anchor { float: left; margin-left: -1em; width: 1em; color: var(--muted); }
        a.anchor::before { content: "#"; visibility: hidden; }
        h1:hover a.anchor::before, h2:hover a.anchor::before, h3:hover a.anchor::before,
        h4:hover a.anchor::before, a.anchor:focus::before { visibility: visible; }
        code, pre { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.88em; }
        :not(pre) > code { background: var(--code-bg); padding: 0.1em 0.35em; border-radius: 4px; }
        pre { background: var(--code-bg); border: 1px solid var(--border); border-radius: 6px;
          padding: 0.8em 1em; overflow-x: auto; line-height: 1.45; }
        pre code { font-size: 1em; }
        pre.output, pre.error { position: relative; border-left-width: 4px; padding-top: 1.5em; }
        pre.output { background: var(--out-bg); border-left-color: var(--out-bar); }
        pre.error { background: var(--err-bg); border-left-color: var(--err-bar); }
        pre.output::before, pre.error::before { position: absolute; top: 0.3em; left: 1em; font: 600 0.75em system-ui, sans-serif;
          text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
        pre.output::before { content: "Output"; }
        pre.output.nondeterministic::before { content: "Output (differs run to run)"; }
        pre.error::before { content: "Error"; color: var(--err-bar); }
        .kw { color: var(--kw); } .str { color: var(--str); } .num { color: var(--num); }
        .com { color: var(--com); font-style: italic; } .type { color: var(--type); } .fn { color: var(--fn); }
        .attr { color: var(--attr); } .dir { color: var(--dir); }
        table { border-collapse: collapse; margin: 1em 0; display: block; overflow-x: auto; }
        th, td { border: 1px solid var(--border); padding: 0.35em 0.75em; }
        th { background: var(--code-bg); text-align: left; }
        img { max-width: 100%; height: auto; }
        blockquote { margin: 1em 0; padding: 0 1em; color: var(--muted); border-left: 4px solid var(--border); }
        nav.pager { display: flex; justify-content: space-between; gap: 1rem; max-width: 52rem; margin: 0 auto;
          padding: 0.8rem 1.2rem; font-size: 0.92em; }
        nav.pager > * { flex: 1; } nav.pager .up { text-align: center; } nav.pager .next { text-align: right; }
        footer { max-width: 52rem; margin: 0 auto; padding: 1rem 1.2rem 2rem; color: var(--muted); font-size: 0.85em; }

        """
}
