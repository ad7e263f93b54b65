"""Build gateway/understand/compounds.json, the compact word list confidence.py checks OCR's prose against.

The source is the Vietnamese word list of pyvi (PyPI ``pyvi`` 0.1.1, ``pyvi/models/words.txt``: 31,157 entries
of one to nine syllables; MIT licence, Copyright (c) 2016 Viet-Trung Tran, https://github.com/trungtv/pyvi):
    (cd /tmp && pip download --no-deps pyvi==0.1.1 && unzip -o pyvi-0.1.1-py2.py3-none-any.whl 'pyvi/models/*')
    .venv/bin/python scripts/compounds.py /tmp/pyvi/models/words.txt

Kept: the syllables that the list has only inside words of two syllables or more ("thụ", "hoạch"), and the
words of two to four syllables holding one of them ("thủ tục" is left out: both its syllables stand alone too).
That is all a check needs to tell that such a syllable stands in no word with the syllables beside it, in
~3,500 words (~70 KB) instead of 31,000.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.core.text import exact_key  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "gateway" / "understand" / "compounds.json"
LICENCE = (
    "Word list derived from pyvi 0.1.1 (pyvi/models/words.txt), https://github.com/trungtv/pyvi. "
    "The MIT License (MIT) Copyright (c) 2016 Viet-Trung Tran. Permission is hereby granted, free of charge, to "
    "any person obtaining a copy of this software and associated documentation files (the \"Software\"), to deal in "
    "the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, "
    "distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is "
    "furnished to do so, subject to the following conditions: The above copyright notice and this permission notice "
    "shall be included in all copies or substantial portions of the Software. THE SOFTWARE IS PROVIDED \"AS IS\", "
    "WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF "
    "MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR "
    "COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR "
    "OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE."
)


def main(source: str) -> None:
    entries = {exact_key(line.strip()) for line in Path(source).read_text(encoding="utf-8").splitlines()}
    entries.discard("")
    alone = {entry for entry in entries if " " not in entry}
    words = {entry for entry in entries if 2 <= len(entry.split()) <= 4}
    bound = {syllable for word in words for syllable in word.split()} - alone
    kept = sorted(word for word in words if bound.intersection(word.split()))
    OUT.write_text(json.dumps({"source": LICENCE, "bound": sorted(bound), "words": kept}, ensure_ascii=False,
                              indent=0) + "\n", encoding="utf-8")
    print(f"{len(bound)} syllables only in words, {len(kept)} words holding them, written to {OUT}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
