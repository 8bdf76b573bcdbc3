"""HTML to markdown: the same text as calling trafilatura with our options, however the call is made."""

from __future__ import annotations

import trafilatura

from curator.ingest.html import TRAFILATURA_OPTIONS, html_to_markdown
from tests.support.sites import write_site

# A lecture page with the markup the markdown writer handles itself and the markup it leaves to trafilatura.
_RICH_PAGE = """<html><head><title>Incoterms</title></head><body><nav><a href="/">Home</a></nav><main><article>
<h1>Incoterms 2020 &amp; <em>risk</em></h1>
<p>Under <b>FOB</b> the seller bears the risk until the goods are <strong>on board</strong>; under
<i>CIF</i> the seller also pays <b>freight</b><b> and insurance</b>. See <a href="/cif">CIF</a>.</p>
<p>1. Goods are cleared for export by the seller.<br>2. The buyer arranges main carriage.</p>
<pre><code>HS 8471.30 -> 0%
HS 8517.12 -> 0%</code></pre>
<p>The duty rate is <code>rate * value</code>, e.g. 8% * $1,000 = $80 (see [1] and \\(x_1\\)).</p>
<ul><li>EXW<ul><li>ex works</li></ul></li><li>- FCA</li><li><b>CPT</b>: carriage paid to</li></ul>
<blockquote>무역 조건은 <b>인코텀즈</b>로 정한다.</blockquote>
<table><tr><th>term</th><th>risk | cost</th></tr><tr><td>FOB</td><td>on <b>board</b></td></tr></table>
</article></main><footer>Example Trade Academy</footer></body></html>"""


def test_the_markdown_is_what_trafilatura_extract_returns(tmp_path, sample_dir):
    # html_to_markdown hands trafilatura a settings object built once and writes the markdown itself; if a
    # trafilatura release reads more than that object or writes markdown differently, the outputs part here.
    pages = [(p.read_text(encoding="utf-8"), p.as_uri()) for p in write_site(tmp_path / "site", 4)]
    pages += [(p.read_text(encoding="utf-8"), None) for p in sorted((sample_dir / "web").glob("*.html"))]
    pages.append((_RICH_PAGE, "https://academy.example/incoterms"))
    assert len(pages) == 9
    for html, url in pages:
        expected = trafilatura.extract(html, url=url, **TRAFILATURA_OPTIONS).strip()
        assert html_to_markdown(html, url).markdown == expected
