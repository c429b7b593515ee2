"""The learner's-path measures of the notebooks (issue 17): for each notebook, the first markdown cell with an
equation and the first cell with a committed picture; committed PNGs under 100 dpi (from their pHYs chunk); and
string-literal continuation lines in code cells, two ways: *deep* (a line that continues an implicit string
concatenation, indented more than 8 columns past the first line of its statement, found with `tokenize`) and the
older count (a line ending in a quote followed by one that starts with 8+ spaces and a quote).

    python bench/learner_measures.py [nbs]
"""
import base64, io, json, re, sys, tokenize
from itertools import pairwise
from pathlib import Path
from PIL import Image

def deep_continuations(src: str) -> int:
    "Implicit string concatenations continued on a line indented more than 8 columns past its statement."
    src = ''.join('#' + l[1:] if l[:1] in '%!' else l for l in src.splitlines(keepends=True))   # magics
    try: toks = list(tokenize.generate_tokens(io.StringIO(src).readline))
    except (tokenize.TokenError, SyntaxError): return 0
    skip = (tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING)
    n, prev, stmt_col = 0, None, 0
    for t in toks:
        if t.type == tokenize.NEWLINE: prev = None; continue
        if t.type in skip: continue
        if prev is None: stmt_col = t.start[1]
        if (prev is not None and t.type == prev.type == tokenize.STRING and t.start[0] != prev.end[0]
                and t.start[1] > stmt_col + 8): n += 1
        prev = t
    return n

def older_count(lines: list) -> int:
    ends_in_quote = lambda a: re.search(r"['\"]\s*$", a) and not re.search(r"[,(\[{]\s*$", a)
    return sum(bool(ends_in_quote(a) and re.match(r"\s{8,}f?['\"]", b)) for a, b in pairwise(lines))

def main(root: Path):
    imgs = low = deep = older = 0
    for p in sorted(root.glob('*.ipynb')):
        eq = fig = None
        for i, c in enumerate(json.loads(p.read_text())['cells']):
            s = ''.join(c['source'])
            if eq is None and c['cell_type'] == 'markdown' and ('$$' in s or '\\begin' in s): eq = i
            for o in c.get('outputs', []):
                if 'image/png' in o.get('data', {}):
                    imgs += 1
                    im = Image.open(io.BytesIO(base64.b64decode(o['data']['image/png'])))
                    low += im.info.get('dpi', (0, 0))[0] < 99.5
                    if fig is None: fig = i
            if c['cell_type'] == 'code':
                deep += deep_continuations(s); older += older_count(s.splitlines())
        if eq is not None: print(f"{p.name:24s} equation cell {eq!s:>4}   first picture cell {fig!s:>4}")
    print(f"pictures {imgs}, under 100 dpi {low}; deep string continuations {deep}; older count {older}")

if __name__ == '__main__': main(Path(sys.argv[1] if len(sys.argv) > 1 else 'nbs'))
